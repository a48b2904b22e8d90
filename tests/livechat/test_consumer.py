"""/ws/chat/ with real WebSocket clients (through helpdesk/asgi.py) and the Redis layer."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from channels_in.models import InboundEvent
from livechat import limits, services
from livechat.consumers import AgentChatConsumer
from tests.factories import UserFactory
from tickets import services as ticket_services
from tickets.models import Message, Ticket

from .conftest import SECRET, hello, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(channel, **extra):
    socket = visitor_socket()
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to(hello(channel, **extra))
    welcome = await socket.receive_json_from(timeout=5)
    assert welcome["type"] == "welcome", welcome
    return socket, welcome


async def _say(socket, client_id, text):
    """Send a message; return (ack, echo). The echo to the visitor's own group may come
    before or after the ack."""
    await socket.send_json_to({"v": 1, "type": "message", "id": client_id, "text": text})
    frames = [await socket.receive_json_from(timeout=5), await socket.receive_json_from(timeout=5)]
    frames.sort(key=lambda f: f["type"])
    assert [f["type"] for f in frames] == ["ack", "message"], frames
    return frames[0], frames[1]


def test_hello_message_ack_and_reconnect_with_the_same_token(chat_channel):
    @async_to_sync
    async def scenario():
        socket, welcome = await _open(chat_channel, page={"url": "https://shop.example/cart"})
        assert welcome["messages"] == [] and welcome["token"]
        ack, echo = await _say(socket, "m1", "こんにちは")  # echoed to the visitor's other tabs
        await socket.disconnect()
        again, welcome2 = await _open(chat_channel, token=welcome["token"])
        await again.disconnect()
        return echo, ack, welcome2

    echo, ack, welcome2 = scenario()
    assert ack["type"] == "ack" and ack["id"] == "m1" and ack["duplicate"] is False
    assert ack["message"]["text"] == "こんにちは" and ack["message"]["client_id"] == "m1"
    assert echo["type"] == "message" and echo["message"]["id"] == ack["message"]["id"]
    # Reload / another page: the same conversation comes back.
    assert [m["text"] for m in welcome2["messages"]] == ["こんにちは"]
    ticket = Ticket.objects.get()
    assert ticket.channel == "chat"
    assert ticket.chat_conversations.get().visitor.page_url == "https://shop.example/cart"


def test_a_resent_client_id_after_a_drop_is_acknowledged_not_doubled(chat_channel):
    @async_to_sync
    async def scenario():
        socket, welcome = await _open(chat_channel)
        frame = {"v": 1, "type": "message", "id": "resend-1", "text": "届いた?"}
        first, _ = await _say(socket, "resend-1", "届いた?")
        await socket.disconnect()
        # The client never saw the ack (say): it reconnects and sends the same frame again.
        again, _ = await _open(chat_channel, token=welcome["token"], since=0)
        await again.send_json_to(frame)
        second = await again.receive_json_from(timeout=5)
        await again.disconnect()
        return first, second

    first, second = scenario()
    assert second["type"] == "ack" and second["duplicate"] is True
    assert second["message"]["id"] == first["message"]["id"]
    assert Message.objects.count() == 1
    assert InboundEvent.objects.count() == 1


def test_reconnect_with_since_resends_only_what_was_missed(chat_channel):
    agent = UserFactory(role="agent", name="Aiko")

    @async_to_sync
    async def scenario():
        socket, welcome = await _open(chat_channel)
        ack, _ = await _say(socket, "a", "hi")
        await socket.disconnect()
        # While the visitor is offline, the agent answers.
        ticket = await sync_to_async(Ticket.objects.get)()
        await sync_to_async(ticket_services.reply)(
            ticket=ticket, author=agent, body_text="Hello from Aiko"
        )
        back, welcome2 = await _open(
            chat_channel, token=welcome["token"], since=ack["message"]["id"]
        )
        await back.disconnect()
        return welcome2

    welcome2 = scenario()
    assert [(m["from"], m["text"]) for m in welcome2["messages"]] == [("agent", "Hello from Aiko")]
    assert welcome2["messages"][0]["agent"]["name"] == "Aiko"
    assert welcome2["agent"]["name"] == "Aiko"


def test_agent_reply_arrives_live_with_agent_joined(chat_channel):
    agent = UserFactory(role="agent", name="Ken")

    @async_to_sync
    async def scenario():
        socket, _ = await _open(chat_channel)
        await _say(socket, "a", "hi")
        ticket = await sync_to_async(Ticket.objects.get)()
        await sync_to_async(ticket_services.reply)(ticket=ticket, author=agent, body_text="Yes?")
        joined = await socket.receive_json_from(timeout=5)
        message = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return joined, message

    joined, message = scenario()
    assert joined == {"v": 1, "type": "agent_joined", "agent": {"name": "Ken", "initial": "K"}}
    assert message["message"]["text"] == "Yes?"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_version"),
        ('{"type": "message"}', "bad_version"),
        ('{"v": 2, "type": "message"}', "bad_version"),
        ('{"v": 1, "type": "launch_missiles"}', "unknown_type"),
        (json.dumps({"v": 1, "type": "message", "id": "x", "text": "a" * 20000}), "too_large"),
        (json.dumps({"v": 1, "type": "message", "id": "x", "text": "a" * 5001}), "too_long"),
        ('{"v": 1, "type": "message", "id": "x", "text": ""}', "empty"),
        ('{"v": 1, "type": "message", "id": "<script>", "text": "x"}', "bad_client_id"),
        ('{"v": 1, "type": "read", "upto": "soon"}', "bad_read"),
        ('{"v": 1, "type": "hello", "channel": "again"}', "hello_twice"),
    ],
)
def test_bad_frames_get_an_error_frame_and_the_socket_lives_on(chat_channel, raw, code):
    @async_to_sync
    async def scenario():
        socket, _ = await _open(chat_channel)
        await socket.send_to(text_data=raw)
        error = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"v": 1, "type": "ping"})
        pong = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return error, pong

    error, pong = scenario()
    assert error["type"] == "error" and error["code"] == code
    assert pong == {"v": 1, "type": "pong"}
    assert not Message.objects.exists()


def test_binary_frames_and_frames_before_hello_are_refused(chat_channel):
    @async_to_sync
    async def scenario():
        socket = visitor_socket()
        await socket.connect()
        await socket.send_to(bytes_data=b"\x00\x01")
        binary = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"v": 1, "type": "message", "id": "a", "text": "sneaky"})
        early = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return binary, early

    binary, early = scenario()
    assert binary["code"] == "bad_frame"
    assert early["code"] == "hello_first"
    assert not InboundEvent.objects.exists()


def test_a_wrong_origin_is_refused_and_closed(chat_channel):
    @async_to_sync
    async def scenario():
        socket = visitor_socket(origin="https://evil.example")
        await socket.connect()
        await socket.send_json_to(hello(chat_channel))
        error = await socket.receive_json_from(timeout=5)
        closed = await socket.receive_output(timeout=5)
        return error, closed

    error, closed = scenario()
    assert error["code"] == "origin_not_allowed"
    assert closed == {"type": "websocket.close", "code": 4403}


def test_a_bad_identity_hmac_is_refused_and_a_good_one_accepted(chat_channel):
    @async_to_sync
    async def scenario():
        socket = visitor_socket()
        await socket.connect()
        forged = {"user_id": "42", "user_hash": services.identity_signature("guess", "42")}
        await socket.send_json_to(hello(chat_channel, identity=forged))
        refused = await socket.receive_json_from(timeout=5)
        good = {"user_id": "42", "user_hash": services.identity_signature(SECRET, "42")}
        await socket.send_json_to(hello(chat_channel, identity=good))
        welcome = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return refused, welcome

    refused, welcome = scenario()
    assert refused["code"] == "bad_identity"
    assert welcome["type"] == "welcome"


def test_a_frame_flood_is_cut_off(chat_channel, monkeypatch):
    monkeypatch.setattr(limits, "FRAMES_PER_MINUTE", 3)

    @async_to_sync
    async def scenario():
        socket, _ = await _open(chat_channel)
        frames = []
        for _ in range(4):
            await socket.send_json_to({"v": 1, "type": "ping"})
            frames.append(await socket.receive_json_from(timeout=5))
        closed = await socket.receive_output(timeout=5)
        return frames, closed

    frames, closed = scenario()
    assert [f["type"] for f in frames] == ["pong", "pong", "pong", "error"]
    assert frames[-1]["code"] == "rate_limited"
    assert closed["code"] == 4429


def test_typing_and_reads_flow_between_visitor_and_agent(chat_channel):
    agent = UserFactory(role="agent", name="Mika")
    agent_app = URLRouter([path("ws/chat/agent/<int:ticket_id>/", AgentChatConsumer.as_asgi())])

    @async_to_sync
    async def scenario():
        visitor, _ = await _open(chat_channel)
        ack, _ = await _say(visitor, "a", "hi")
        ticket = await sync_to_async(Ticket.objects.get)()
        staff = WebsocketCommunicator(agent_app, f"/ws/chat/agent/{ticket.pk}/")
        staff.scope["user"] = agent
        assert (await staff.connect())[0]
        assert (await staff.receive_json_from(timeout=5))["type"] == "hello"
        await visitor.send_json_to({"v": 1, "type": "typing", "typing": True, "preview": "注文"})
        typing_in = await staff.receive_json_from(timeout=5)
        await staff.send_json_to({"v": 1, "type": "typing", "typing": True})
        typing_out = await visitor.receive_json_from(timeout=5)
        await staff.send_json_to({"v": 1, "type": "read"})
        read_out = await visitor.receive_json_from(timeout=5)
        await visitor.send_json_to({"v": 1, "type": "read", "upto": ack["message"]["id"] + 5})
        read_in = await staff.receive_json_from(timeout=5)
        await visitor.disconnect()
        presence = await staff.receive_json_from(timeout=5)
        await staff.disconnect()
        return ack, typing_in, typing_out, read_out, read_in, presence

    ack, typing_in, typing_out, read_out, read_in, presence = scenario()
    assert typing_in == {"v": 1, "type": "typing", "typing": True, "preview": "注文"}
    assert typing_out["typing"] is True and typing_out["agent"]["name"] == "Mika"
    assert read_out == {"v": 1, "type": "read", "upto": ack["message"]["id"]}
    assert read_in["type"] == "read"
    assert presence == {"v": 1, "type": "presence", "online": False}


def test_the_agent_chat_socket_is_for_staff_and_chat_tickets_only(chat_channel):
    from django.contrib.auth.models import AnonymousUser

    from tests.factories import TicketFactory

    email_ticket = TicketFactory(channel="email")
    agent_app = URLRouter([path("ws/chat/agent/<int:ticket_id>/", AgentChatConsumer.as_asgi())])

    @async_to_sync
    async def attempt(user, ticket_id):
        socket = WebsocketCommunicator(agent_app, f"/ws/chat/agent/{ticket_id}/")
        socket.scope["user"] = user
        return await socket.connect()

    assert attempt(AnonymousUser(), email_ticket.pk) == (False, 4403)
    assert attempt(UserFactory(role="agent"), email_ticket.pk) == (False, 4404)
