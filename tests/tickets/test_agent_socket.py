"""/ws/agent/: only staff may listen; events published after commit reach them via Redis."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from tests.factories import UserFactory
from tickets import realtime
from tickets.consumers import AgentConsumer

pytestmark = pytest.mark.django_db(transaction=True)


def connect(user):
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
    communicator.scope["user"] = user
    return communicator


@async_to_sync
async def _connect_and_close(communicator):
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, code


def test_anonymous_and_customers_are_refused():
    assert _connect_and_close(connect(AnonymousUser())) == (False, 4403)
    assert _connect_and_close(connect(UserFactory(role="customer"))) == (False, 4403)


def test_staff_receive_events_published_after_commit():
    agent = UserFactory(role="agent")

    @async_to_sync
    async def scenario():
        communicator = connect(agent)
        connected, _ = await communicator.connect()
        assert connected
        assert await communicator.receive_json_from() == {"v": 1, "type": "hello"}
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"v": 1, "type": "pong"}
        # publish() outside a transaction sends at once (on_commit runs immediately).
        from asgiref.sync import sync_to_async

        await sync_to_async(realtime.publish)("ticket.created", ticket=7, status="new")
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return event

    assert scenario() == {"v": 1, "type": "ticket.created", "ticket": 7, "status": "new"}


def test_a_malformed_frame_gets_an_error_not_a_dropped_socket():
    agent = UserFactory(role="agent")

    @async_to_sync
    async def scenario():
        communicator = connect(agent)
        await communicator.connect()
        await communicator.receive_json_from()
        await communicator.send_to(text_data="{not json")
        error = await communicator.receive_json_from()
        await communicator.send_json_to({"type": "ping"})
        pong = await communicator.receive_json_from()
        await communicator.disconnect()
        return error, pong

    error, pong = scenario()
    assert error["type"] == "error"
    assert pong["type"] == "pong"
