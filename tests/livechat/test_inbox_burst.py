"""An agent's inbox socket (/ws/agent/) under a burst of chat events: the events already
waiting for it are forwarded together (tickets.consumers.AgentConsumer.agent_event) — every one
of them, once, in the order they were sent, and still only those the agent may see."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from tests.api_factories import TeamFactory
from tests.factories import TicketFactory, UserFactory
from tickets import realtime
from tickets.consumers import AgentConsumer

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 20  # seconds: generous, for a busy machine; no timing is asserted


def _event(ticket_id: int, n: int) -> dict:
    return {
        "type": "agent.event",
        "event": {"v": 1, "type": "message.created", "ticket": ticket_id, "message": n},
    }


async def _inbox(user):
    socket = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
    socket.scope["user"] = user
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=WAIT))["type"] == "hello"
    return socket


def test_a_burst_of_events_reaches_the_inbox_whole_and_in_order():
    agent = UserFactory(role="admin")

    @async_to_sync
    async def scenario():
        socket = await _inbox(agent)
        layer = get_channel_layer()
        # Sent back to back: most of them wait in the socket's queue together.
        for n in range(1, 151):
            await layer.group_send(realtime.AGENTS_GROUP, _event(10 + n % 7, n))
        received = [await socket.receive_json_from(timeout=WAIT) for _ in range(150)]
        await socket.send_json_to({"type": "ping"})
        after = await socket.receive_json_from(timeout=WAIT)
        assert await socket.receive_nothing(timeout=0.5)  # nothing doubled
        await socket.disconnect()
        return received, after

    received, after = scenario()
    assert [event["message"] for event in received] == list(range(1, 151))
    assert after == {"v": 1, "type": "pong"}


def test_a_burst_still_skips_tickets_the_agent_may_not_see(settings):
    settings.TICKET_VISIBILITY = "team"
    team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B")
    agent = UserFactory(role="agent")
    agent.teams.add(team_a)
    shown, hidden = TicketFactory(team=team_a), TicketFactory(team=team_b)

    @async_to_sync
    async def scenario():
        socket = await _inbox(agent)
        layer = get_channel_layer()
        for n in range(1, 41):
            ticket = hidden if n % 2 else shown
            await layer.group_send(realtime.AGENTS_GROUP, _event(ticket.pk, n))
        # A personal event for someone else is skipped too; this agent's own one arrives.
        notice = {"v": 1, "type": "notification", "user": agent.pk + 1000}
        await layer.group_send(realtime.AGENTS_GROUP, {"type": "agent.event", "event": notice})
        mine = {"v": 1, "type": "notification", "user": agent.pk}
        await layer.group_send(realtime.AGENTS_GROUP, {"type": "agent.event", "event": mine})
        received = [await socket.receive_json_from(timeout=WAIT) for _ in range(21)]
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return received

    received = scenario()
    assert [event.get("message") for event in received[:20]] == list(range(2, 41, 2))
    assert {event.get("ticket") for event in received[:20]} == {shown.pk}
    assert received[20] == {"v": 1, "type": "notification", "user": agent.pk}


def test_events_published_by_the_services_still_arrive_one_by_one():
    agent = UserFactory(role="agent")

    @async_to_sync
    async def scenario():
        socket = await _inbox(agent)
        await sync_to_async(realtime.publish)("ticket.updated", ticket=5, status="open")
        first = await socket.receive_json_from(timeout=WAIT)
        await sync_to_async(realtime.publish)("ticket.updated", ticket=6, status="pending")
        second = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return first, second

    first, second = scenario()
    assert (first["ticket"], second["ticket"]) == (5, 6)
