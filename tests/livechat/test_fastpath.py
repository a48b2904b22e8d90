"""The chat's fast paths: a running conversation's visitor messages and the agent's plain
replies are stored in one statement each; the ticket's follow-ups (ticket_changed, search,
routing) still happen, in order, once."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from channels_in import services as inbound
from channels_in.models import DeliveryStatus, InboundEvent, InboundStatus, OutboundDelivery
from livechat import fastpath, followups, services
from livechat.consumers import AgentChatConsumer
from livechat.models import ChatConversation, ChatReplyFollowUp, ChatVisitor
from tests.factories import UserFactory
from tickets.models import Message, Status, Team, Ticket
from tickets.signals import ticket_changed

from .conftest import hello, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 20  # seconds: generous, for a busy machine; no timing is asserted
AGENT_APP = URLRouter([path("ws/chat/agent/<int:ticket_id>/", AgentChatConsumer.as_asgi())])


@pytest.fixture
def heard():
    """Every ticket_changed event: (event, message id, changes)."""
    events = []

    def listen(sender, *, ticket, event, message=None, changes=None, **kwargs):
        events.append((str(event), message.pk if message else None, dict(changes or {})))

    ticket_changed.connect(listen, dispatch_uid="test-fastpath")
    yield events
    ticket_changed.disconnect(dispatch_uid="test-fastpath")


@pytest.fixture(autouse=True)
def fresh_availability():
    fastpath.forget_availability()
    yield
    fastpath.forget_availability()


async def _open(channel):
    socket = visitor_socket()
    assert (await socket.connect())[0]
    await socket.send_json_to(hello(channel))
    welcome = await socket.receive_json_from(timeout=WAIT)
    assert welcome["type"] == "welcome", welcome
    return socket


async def _say(socket, client_id, text):
    """Send a message; its ack (echoes to the visitor's group may come before or after)."""
    await socket.send_json_to({"v": 1, "type": "message", "id": client_id, "text": text})
    while True:
        frame = await socket.receive_json_from(timeout=WAIT)
        if frame["type"] in ("ack", "error"):
            return frame


async def _until(socket, kind):
    """The next frame of `kind`; `message` means an agent's, `message_from_visitor` an echo
    of the visitor's own (which may come before the frames a test waits for)."""
    wanted, author = ("message", "visitor") if kind == "message_from_visitor" else (kind, "agent")
    while True:
        frame = await socket.receive_json_from(timeout=WAIT)
        if frame["type"] == wanted and frame.get("message", {}).get("from", author) == author:
            return frame


async def _agent_socket(user, ticket_id):
    socket = WebsocketCommunicator(AGENT_APP, f"/ws/chat/agent/{ticket_id}/")
    socket.scope["user"] = user
    connected, code = await socket.connect()
    if connected:
        assert (await socket.receive_json_from(timeout=WAIT))["type"] == "hello"
    return socket, connected, code


def test_a_running_chats_message_is_stored_once_and_its_ticket_work_follows(chat_channel, heard):
    @async_to_sync
    async def scenario():
        socket = await _open(chat_channel)
        first = await _say(socket, "m1", "注文について")  # opens the ticket: general path
        second = await _say(socket, "m2", "番号は 1234 です")
        again = await _say(socket, "m2", "番号は 1234 です")  # a resend after a drop
        await socket.disconnect()
        return first, second, again

    first, second, again = scenario()
    assert second["duplicate"] is False and again["duplicate"] is True
    assert again["message"]["id"] == second["message"]["id"]
    ticket = Ticket.objects.get()
    texts = list(ticket.messages.order_by("id").values_list("body_text", flat=True))
    assert texts == ["注文について", "番号は 1234 です"]
    message = ticket.messages.get(pk=second["message"]["id"])
    assert ticket.last_message_at == message.created_at == ticket.customer_activity_at
    event = InboundEvent.objects.get(idempotency_key__endswith=":m2")
    assert event.status == InboundStatus.PROCESSED and event.message_id == message.pk
    # Every message reached the ticket's followers once, the fast one too.
    assert [(e, m) for e, m, _ in heard] == [
        ("created", first["message"]["id"]),
        ("customer_message", message.pk),
    ]


def test_a_pending_chat_reopens_and_followers_hear_the_status_move(chat_channel, heard):
    agent = UserFactory(role="agent")

    @async_to_sync
    async def scenario():
        socket = await _open(chat_channel)
        await _say(socket, "m1", "hello")
        ticket = await sync_to_async(Ticket.objects.get)()
        await sync_to_async(Ticket.objects.filter(pk=ticket.pk).update)(
            status=Status.PENDING, assignee=agent
        )
        ack = await _say(socket, "m2", "still there?")
        await socket.disconnect()
        return ack

    ack = scenario()
    assert Ticket.objects.get().status == Status.OPEN
    assert heard[-1] == ("customer_message", ack["message"]["id"], {"status": ("pending", "open")})


def test_an_ended_chat_takes_the_general_path(chat_channel):
    @async_to_sync
    async def scenario():
        socket = await _open(chat_channel)
        await _say(socket, "m1", "hello")
        await sync_to_async(ChatConversation.objects.update)(ended_at="2026-01-01T00:00:00Z")
        ack = await _say(socket, "m2", "one more thing")
        await socket.disconnect()
        return ack

    ack = scenario()
    # The general path reopened the conversation: the message is filed and acknowledged.
    assert Message.objects.filter(pk=ack["message"]["id"]).exists()
    assert ChatConversation.objects.get().ended_at is None


def test_a_lost_follow_up_run_is_applied_by_the_ingest_sweep(chat_channel, heard, monkeypatch):
    # The task never comes (nor does the flag that would queue it).
    monkeypatch.setattr(followups, "schedule", lambda: None)
    monkeypatch.setattr(followups, "flag_needed", lambda: False)

    @async_to_sync
    async def scenario():
        socket = await _open(chat_channel)
        await _say(socket, "m1", "hello")
        ack = await _say(socket, "m2", "anyone?")
        await socket.disconnect()
        return ack

    ack = scenario()
    event = InboundEvent.objects.get(idempotency_key__endswith=":m2")
    assert event.status == InboundStatus.RECEIVED and heard[-1][0] == "created"
    inbound.process_inbound(event.pk)
    inbound.process_inbound(event.pk)  # twice: applied once
    event.refresh_from_db()
    assert event.status == InboundStatus.PROCESSED and event.message_id == ack["message"]["id"]
    assert [e for e, m, _ in heard if m == ack["message"]["id"]] == ["customer_message"]
    assert followups.apply_pending() == 0


def test_an_agents_plain_reply_over_the_socket_reaches_the_visitor(chat_channel, heard):
    agent = UserFactory(role="agent", name="Ken")

    @async_to_sync
    async def scenario():
        visitor = await _open(chat_channel)
        question = await _say(visitor, "m1", "hi")
        ticket = await sync_to_async(Ticket.objects.get)()
        staff, _, _ = await _agent_socket(agent, ticket.pk)
        reply = {"v": 1, "type": "reply", "id": "r1", "text": " Yes? ", "seen": 0}
        await staff.send_json_to(reply)
        ack = await staff.receive_json_from(timeout=WAIT)
        joined = await _until(visitor, "agent_joined")
        message = await _until(visitor, "message")
        await staff.send_json_to(reply)  # resent after a drop: the same reply
        again = await staff.receive_json_from(timeout=WAIT)
        await staff.disconnect()
        await visitor.disconnect()
        return question, ack, joined, message, again

    question, ack, joined, message, again = scenario()
    assert ack["type"] == "reply_ack" and ack["duplicate"] is False
    assert joined == {"v": 1, "type": "agent_joined", "agent": {"name": "Ken", "initial": "K"}}
    assert message["message"]["text"] == "Yes?" and message["message"]["from"] == "agent"
    assert again["duplicate"] is True and again["message"]["id"] == ack["message"]["id"]
    ticket = Ticket.objects.get()
    assert ticket.status == Status.PENDING and ticket.assignee == agent
    assert ticket.first_replied_at == ticket.last_message_at is not None
    reply = Message.objects.get(pk=ack["message"]["id"])
    assert reply.author == agent and not reply.internal
    assert OutboundDelivery.objects.get(message=reply).status == DeliveryStatus.SENT
    assert not ChatReplyFollowUp.objects.exists()
    assert heard[-1] == (
        "agent_reply",
        reply.pk,
        {"status": ("new", "pending"), "assignee_id": (None, agent.pk)},
    )
    assert heard[0][1] == question["message"]["id"]


def test_a_reply_the_socket_cannot_take_goes_to_the_form(chat_channel):
    agent = UserFactory(role="agent")
    light = UserFactory(role="light_agent")
    colleague = UserFactory(role="agent")

    @async_to_sync
    async def scenario():
        visitor = await _open(chat_channel)
        await _say(visitor, "m1", "hi")
        ticket = await sync_to_async(Ticket.objects.get)()
        staff, _, _ = await _agent_socket(agent, ticket.pk)
        frames = []
        # A colleague answered after the last message this agent saw.
        seen = await sync_to_async(lambda: ticket.messages.latest("id").pk)()
        other, _, _ = await _agent_socket(colleague, ticket.pk)
        await other.send_json_to({"v": 1, "type": "reply", "id": "c1", "text": "Hello!"})
        frames.append(await other.receive_json_from(timeout=WAIT))
        await staff.send_json_to({"v": 1, "type": "reply", "id": "r1", "text": "Hi", "seen": seen})
        frames.append(await staff.receive_json_from(timeout=WAIT))
        await sync_to_async(Ticket.objects.update)(status=Status.SOLVED)
        await staff.send_json_to({"v": 1, "type": "reply", "id": "r2", "text": "Hi"})
        frames.append(await staff.receive_json_from(timeout=WAIT))
        await staff.send_json_to({"v": 1, "type": "reply", "id": "<x>", "text": "Hi"})
        frames.append(await staff.receive_json_from(timeout=WAIT))
        watcher, _, _ = await _agent_socket(light, ticket.pk)
        await watcher.send_json_to({"v": 1, "type": "reply", "id": "l1", "text": "Hi"})
        frames.append(await watcher.receive_json_from(timeout=WAIT))
        for socket in (staff, other, watcher, visitor):
            await socket.disconnect()
        return frames

    colleague_ack, collision, solved, bad_id, light_reply = scenario()
    assert colleague_ack["type"] == "reply_ack"
    assert (collision["type"], collision["code"], collision["id"]) == ("error", "use_form", "r1")
    assert (solved["code"], solved["id"]) == ("use_form", "r2")
    assert bad_id["code"] == "bad_client_id"
    assert light_reply["code"] == "forbidden"
    assert list(Message.objects.filter(author=agent)) == []


def test_an_agent_cannot_open_the_chat_socket_of_a_ticket_they_may_not_see(chat_channel, settings):
    settings.TICKET_VISIBILITY = "team"
    outsider = UserFactory(role="agent")
    member = UserFactory(role="agent")
    team = Team.objects.create(name="Returns")
    team.members.add(member)

    @async_to_sync
    async def scenario():
        visitor = await _open(chat_channel)
        await _say(visitor, "m1", "hi")
        await sync_to_async(Ticket.objects.update)(team=team)
        ticket = await sync_to_async(Ticket.objects.get)()
        _, outsider_in, code = await _agent_socket(outsider, ticket.pk)
        socket, member_in, _ = await _agent_socket(member, ticket.pk)
        await socket.disconnect()
        await visitor.disconnect()
        return outsider_in, code, member_in

    assert scenario() == (False, 4404, True)


def test_the_visitors_other_tabs_get_a_fast_message_too(chat_channel):
    @async_to_sync
    async def scenario():
        first = await _open(chat_channel)
        await _say(first, "m1", "hello")
        token = await sync_to_async(lambda: services.visitor_token(ChatVisitor.objects.get()))()
        second = visitor_socket()
        assert (await second.connect())[0]
        await second.send_json_to(hello(chat_channel, token=token))
        assert (await second.receive_json_from(timeout=WAIT))["type"] == "welcome"
        ack = await _say(first, "m2", "from the first tab")
        # The echo of m1 may still reach the new tab (its group fan-out can land after the
        # tab joined); the widget drops it by id, so wait for m2's.
        echo = await _until(second, "message_from_visitor")
        while echo["message"]["text"] != "from the first tab":
            echo = await _until(second, "message_from_visitor")
        await first.disconnect()
        await second.disconnect()
        return ack, echo

    ack, echo = scenario()
    assert echo["message"]["id"] == ack["message"]["id"]
    assert echo["message"]["text"] == "from the first tab"
