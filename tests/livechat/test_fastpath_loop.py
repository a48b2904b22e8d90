"""The fast paths on the socket's event loop (livechat.aiodb, livechat.fanout): the message
limit counted with the frame, a database connection lost while idle, and the live frames
through either channel layer."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

from channels_in.models import InboundEvent, InboundStatus
from livechat import aiodb, fastpath, limits
from tests.factories import UserFactory
from tickets.models import Message, Ticket

from .test_fastpath import WAIT, _agent_socket, _open, _say, _until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_availability():
    fastpath.forget_availability()
    yield
    fastpath.forget_availability()


def test_message_frames_past_the_visitors_limit_are_refused_and_the_socket_stays(
    chat_channel, monkeypatch
):
    monkeypatch.setattr(limits, "MESSAGES_PER_MINUTE", 2)

    @async_to_sync
    async def scenario():
        socket = await _open(chat_channel)
        acks = [await _say(socket, "m1", "hello"), await _say(socket, "m2", "anyone?")]
        refused = await _say(socket, "m3", "hello??")
        await socket.send_json_to({"v": 1, "type": "ping"})
        pong = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return acks, refused, pong

    acks, refused, pong = scenario()
    assert [ack["type"] for ack in acks] == ["ack", "ack"]
    assert (refused["type"], refused["code"], refused["id"]) == ("error", "rate_limited", "m3")
    assert pong["type"] == "pong"  # a message over the limit does not close the socket
    assert list(Message.objects.order_by("id").values_list("body_text", flat=True)) == [
        "hello",
        "anyone?",
    ]


def test_a_database_connection_dropped_while_idle_is_replaced_and_nothing_doubles(
    chat_channel,
):
    @async_to_sync
    async def scenario():
        socket = await _open(chat_channel)
        await _say(socket, "m1", "hello")
        await _say(socket, "m2", "fast")  # the loop's connection exists now
        pids = [conn.info.backend_pid for conn in list(aiodb._opened)]  # noqa: SLF001
        assert pids

        def terminate():
            with connection.cursor() as cursor:
                for pid in pids:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

        await sync_to_async(terminate)()
        ack = await _say(socket, "m3", "after a database restart")
        again = await _say(socket, "m3", "after a database restart")
        await socket.disconnect()
        return ack, again

    ack, again = scenario()
    assert ack["type"] == "ack" and ack["duplicate"] is False
    assert again["duplicate"] is True and again["message"]["id"] == ack["message"]["id"]
    assert Message.objects.filter(body_text="after a database restart").count() == 1


@pytest.mark.parametrize("layer", ["pubsub", "list"])
def test_live_frames_and_follow_ups_go_out_through_either_channel_layer(
    chat_channel, layer, request
):
    if layer == "list":
        request.getfixturevalue("list_layer")
    agent = UserFactory(role="agent", name="Aoi")

    @async_to_sync
    async def scenario():
        channel_layer = get_channel_layer()
        inbox = await channel_layer.new_channel()
        await channel_layer.group_add("agents", inbox)
        visitor = await _open(chat_channel)
        await _say(visitor, "m1", "hello")  # general path: opens the ticket
        question = await _say(visitor, "m2", "where is my order?")
        events = []
        while not any(e.get("message") == question["message"]["id"] for e in events):
            events.append((await channel_layer.receive(inbox))["event"])
        ticket = await sync_to_async(Ticket.objects.get)()
        staff, _, _ = await _agent_socket(agent, ticket.pk)
        await staff.send_json_to({"v": 1, "type": "reply", "id": "r1", "text": "On its way"})
        reply_ack = await staff.receive_json_from(timeout=WAIT)
        joined = await _until(visitor, "agent_joined")
        answer = await _until(visitor, "message")
        while not any(e.get("message") == reply_ack["message"]["id"] for e in events):
            events.append((await channel_layer.receive(inbox))["event"])
        for socket in (staff, visitor):
            await socket.disconnect()
        return question, events, reply_ack, joined, answer

    question, events, reply_ack, joined, answer = scenario()
    ticket = Ticket.objects.get()
    # (Another test process on the same Redis may publish to "agents" too: this chat's only.)
    created = [e for e in events if e["type"] == "message.created" and e["ticket"] == ticket.pk]
    assert {"ticket", "message", "status", "channel"} <= set(created[-1])
    assert [e["message"] for e in created][-2:] == [
        question["message"]["id"],
        reply_ack["message"]["id"],
    ]
    assert joined["agent"]["name"] == "Aoi"
    assert answer["message"]["text"] == "On its way"
    # The follow-ups ran (tasks are eager in tests): nothing waits.
    assert not InboundEvent.objects.filter(kind="chat", status=InboundStatus.RECEIVED).exists()
