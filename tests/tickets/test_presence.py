"""Presence in Redis (works across processes, expires) and relayed over /ws/agent/."""

import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from tests.factories import TicketFactory, UserFactory
from tickets import presence
from tickets.consumers import AgentConsumer


@pytest.fixture(autouse=True)
def _own_presence_keys(monkeypatch):
    # Test runs share a Redis database: each test gets keys of its own.
    monkeypatch.setattr(presence, "KEY_PREFIX", f"test-presence:{uuid.uuid4().hex}")


def test_viewers_come_from_redis_and_typing_fades_to_viewing(monkeypatch):
    presence.set_state(ticket_id=5, user_id=1, name="Aiko", state="viewing")
    presence.set_state(ticket_id=5, user_id=2, name="Ken", state="typing")

    assert presence.viewers(5) == [
        {"id": 2, "name": "Ken", "state": "typing"},
        {"id": 1, "name": "Aiko", "state": "viewing"},
    ]
    later = time.time() + presence.TYPING_TTL + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert {v["state"] for v in presence.viewers(5)} == {"viewing"}
    gone = time.time() + presence.VIEWING_TTL + 1
    monkeypatch.setattr(presence.time, "time", lambda: gone)
    assert presence.viewers(5) == []


def test_leave_and_key_expiry():
    presence.set_state(ticket_id=6, user_id=1, name="Aiko", state="viewing")
    key = presence._key("ticket", 6)

    assert 0 < presence._client().ttl(key) <= presence.VIEWING_TTL * 2
    presence.leave(ticket_id=6, user_id=1)
    assert presence.viewers(6) == []


def test_agents_online_is_who_was_heard_from_in_the_last_two_minutes():
    presence.touch_online(7, now=time.time() - 600)
    presence.touch_online(8)
    presence.set_state(ticket_id=1, user_id=9, name="X", state="viewing")

    assert presence.agents_online() == [8, 9]


def test_a_garbled_entry_is_skipped_not_fatal():
    presence._client().hset(presence._key("ticket", 11), "3", b"not json")
    presence.set_state(ticket_id=11, user_id=4, name="Mio", state="viewing")

    assert [v["id"] for v in presence.viewers(11)] == [4]


def communicator(user):
    socket = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
    socket.scope["user"] = user
    return socket


@pytest.mark.django_db(transaction=True)
def test_two_agents_see_each_other_view_and_type_and_leave():
    aiko = UserFactory(role="agent", name="Aiko")
    ken = UserFactory(role="agent", name="Ken")
    ticket = TicketFactory()

    @async_to_sync
    async def scenario():
        a, k = communicator(aiko), communicator(ken)
        await a.connect()
        await k.connect()
        assert (await a.receive_json_from())["type"] == "hello"
        assert (await k.receive_json_from())["type"] == "hello"
        await k.send_json_to({"type": "presence", "ticket": ticket.pk, "state": "viewing"})
        seen_by_aiko = await a.receive_json_from(timeout=5)
        await k.receive_json_from(timeout=5)  # everyone gets it, Ken's page skips himself
        await k.send_json_to({"type": "presence", "ticket": ticket.pk, "state": "typing"})
        typing = await a.receive_json_from(timeout=5)
        await k.receive_json_from(timeout=5)
        await k.disconnect()
        left = await a.receive_json_from(timeout=5)
        await a.disconnect()
        return seen_by_aiko, typing, left

    viewing, typing, left = scenario()
    assert viewing == {
        "v": 1,
        "type": "presence",
        "ticket": ticket.pk,
        "viewers": [{"id": ken.pk, "name": "Ken", "state": "viewing"}],
    }
    assert typing["viewers"] == [{"id": ken.pk, "name": "Ken", "state": "typing"}]
    assert left["viewers"] == []
    assert ken.pk in presence.agents_online()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "frame",
    [
        {"type": "presence", "ticket": "12", "state": "viewing"},
        {"type": "presence", "ticket": True, "state": "viewing"},
        {"type": "presence", "ticket": 2**40, "state": "viewing"},
        {"type": "presence", "ticket": 1, "state": "dancing"},
        {"type": "presence", "ticket": 999999, "state": "viewing"},  # no such ticket
        {"type": "presence"},
        ["presence"],
    ],
)
def test_bad_presence_frames_get_an_error_and_the_socket_stays_up(frame):
    agent = UserFactory(role="agent")

    @async_to_sync
    async def scenario():
        socket = communicator(agent)
        await socket.connect()
        await socket.receive_json_from()
        await socket.send_json_to(frame)
        error = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"type": "ping"})
        pong = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return error, pong

    error, pong = scenario()
    assert error["type"] == "error"
    assert pong["type"] == "pong"


@pytest.mark.django_db(transaction=True)
def test_an_oversized_frame_is_refused_without_parsing():
    agent = UserFactory(role="agent")

    @async_to_sync
    async def scenario():
        socket = communicator(agent)
        await socket.connect()
        await socket.receive_json_from()
        await socket.send_to(text_data='{"type": "ping", "pad": "' + "x" * 10_000 + '"}')
        answer = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return answer

    assert scenario()["type"] == "error"


@pytest.mark.django_db
def test_inbox_rows_and_ticket_page_show_who_is_there(agent_client, agent):
    ticket = TicketFactory(subject="見ているチケット")
    presence.set_state(ticket_id=ticket.pk, user_id=agent.pk + 1000, name="Ken", state="typing")

    inbox = agent_client.get("/agent/?view=all")
    page = agent_client.get(f"/agent/tickets/{ticket.pk}/")

    row = next(r for r in inbox.context["rows"] if r.ticket.pk == ticket.pk)
    assert row.viewers == [{"id": agent.pk + 1000, "name": "Ken", "state": "typing"}]
    assert 'presence-chip--typing" title="Ken"' in inbox.content.decode()
    assert page.context["viewers"][0]["name"] == "Ken"
