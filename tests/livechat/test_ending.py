"""Nobody online → an email conversation; ending a chat (visitor or agent); the end-of-chat
rating (with and without the feedback app's survey); the transcript by email; transfer.
Real WebSocket clients through helpdesk/asgi.py and the Redis channel layer."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core import mail
from django.utils import timezone

from channels_in import services as inbound
from channels_in.models import OutboundDelivery
from feedback.models import Survey, SurveyResponse
from livechat import availability
from livechat.models import ChatConversation, ChatMail
from sla.models import BusinessCalendar, BusinessHours
from tests.factories import UserFactory
from tickets import services as ticket_services
from tickets.models import Message, Team, Ticket

from .conftest import hello, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)
JST = ZoneInfo("Asia/Tokyo")


async def _open(channel, **extra):
    socket = visitor_socket()
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to(hello(channel, **extra))
    welcome = await socket.receive_json_from(timeout=5)
    assert welcome["type"] == "welcome", welcome
    return socket, welcome


async def _until(socket, wanted: str, timeout: float = 5) -> dict:
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == wanted:
            return frame


async def _say(socket, client_id: str, text: str) -> dict:
    """Send a message; return the ack once the echo to the visitor's tabs has come too."""
    await socket.send_json_to({"v": 1, "type": "message", "id": client_id, "text": text})
    frames: dict[str, dict] = {}
    while not {"ack", "message"} <= set(frames):
        frame = await socket.receive_json_from(timeout=5)
        frames[frame["type"]] = frame
    return frames["ack"]


# --- nobody online: the chat becomes an email conversation -----------------------------------


def test_offline_asks_for_email_then_answers_by_mail_in_the_same_ticket(chat_channel, team_offline):
    @async_to_sync
    async def visitor_writes():
        socket, welcome = await _open(chat_channel)
        await socket.send_json_to({"v": 1, "type": "message", "id": "o1", "text": "営業時間は?"})
        refused = await _until(socket, "error")
        await socket.send_json_to(
            {"v": 1, "type": "profile", "name": "山田", "email": "Yamada@Example.jp"}
        )
        await _until(socket, "profile_ok")
        await socket.send_json_to({"v": 1, "type": "message", "id": "o1", "text": "営業時間は?"})
        frames = [await socket.receive_json_from(timeout=5) for _ in range(3)]
        await socket.disconnect()
        return welcome, refused, {frame["type"]: frame for frame in frames}

    welcome, refused, frames = visitor_writes()
    assert welcome["availability"] == {"online": False, "back_at": None}
    assert welcome["needs_profile"] is True  # the channel asks for email only optionally
    assert refused["code"] == "profile_required" and refused["id"] == "o1"
    assert frames["ack"]["message"]["text"] == "営業時間は?"
    assert frames["followup"]["email"] == "yamada@example.jp"
    ticket = Ticket.objects.get()
    assert ticket.chat_conversations.get().email_followup is True
    # The visitor gets the transcript at once, with the ticket in the subject.
    transcript = mail.outbox[-1]
    assert transcript.to == ["yamada@example.jp"]
    assert f"[#{ticket.pk}]" in transcript.subject and "営業時間は?" in transcript.body

    # The agent answers later; the visitor is not in the widget: the answer goes by mail too.
    agent = UserFactory(role="agent", name="田中")
    reply = ticket_services.reply(ticket=ticket, author=agent, body_text="10時から18時です。")
    assert OutboundDelivery.objects.get(message=reply).status == "sent"  # the live push
    assert ChatMail.objects.get(message=reply).status == "sent"
    answer = mail.outbox[-1]
    assert answer.to == ["yamada@example.jp"] and "10時から18時です。" in answer.body
    assert answer.extra_headers["Message-ID"] == reply.external_id

    # The customer answers that mail: it lands in the same ticket.
    customer_mail = EmailMessage()
    customer_mail["From"] = "山田 <yamada@example.jp>"
    customer_mail["To"] = "support@madoguchi.localhost"
    customer_mail["Subject"] = answer.subject
    customer_mail["Message-ID"] = "<reply-1@example.jp>"
    customer_mail["In-Reply-To"] = reply.external_id
    customer_mail["References"] = reply.external_id
    customer_mail.set_content("ありがとうございます。土曜日は?")
    event, _ = inbound.record_inbound(
        kind="email", payload=customer_mail.as_bytes(), idempotency_key="<reply-1@example.jp>"
    )
    inbound.process_inbound(event.pk)
    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(body_text__contains="土曜日は?").exists()


def test_an_online_visitor_gets_agent_replies_live_only(chat_channel, team_offline):
    agent = UserFactory()

    @async_to_sync
    async def scenario():
        socket, _ = await _open(chat_channel)
        await socket.send_json_to({"v": 1, "type": "profile", "email": "live@example.jp"})
        await _until(socket, "profile_ok")
        await _say(socket, "x1", "hello")
        ticket = await Ticket.objects.aget()
        reply = await sync_to_async(ticket_services.reply)(
            ticket=ticket, author=agent, body_text="Here now"
        )
        pushed = await _until(socket, "message")
        await socket.disconnect()
        return reply, pushed

    reply, pushed = scenario()
    # Still connected: the live push is enough, no mail on top.
    assert pushed["message"]["text"] == "Here now"
    assert OutboundDelivery.objects.get(message=reply).kind == "chat"
    assert not ChatMail.objects.filter(message=reply).exists()
    assert ChatMail.objects.filter(kind="transcript").count() == 1  # the one at the switch


def test_business_hours_say_when_the_team_is_back(db, monkeypatch):
    calendar = BusinessCalendar.objects.create(
        name="Tokyo", time_zone="Asia/Tokyo", is_default=True
    )
    for weekday in range(5):
        BusinessHours.objects.create(
            calendar=calendar, weekday=weekday, start_minute=9 * 60, end_minute=18 * 60
        )
    saturday = dt.datetime(2026, 11, 21, 12, 0, tzinfo=JST)
    closed = availability.team_availability(now=saturday)
    assert closed["online"] is False
    back = dt.datetime(2026, 11, 23, 9, 0, tzinfo=JST)  # Monday (no public holidays set)
    assert dt.datetime.fromisoformat(closed["back_at"]) == back
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=JST)
    assert availability.team_availability(now=monday) == {"online": True, "back_at": None}
    monkeypatch.setattr("livechat.availability.presence.agents_online", lambda **kw: [])
    assert availability.team_availability(now=monday) == {"online": False, "back_at": None}


# --- ending, rating, transcript ---------------------------------------------------------------


def test_the_visitor_ends_rates_and_asks_for_the_transcript(chat_channel):
    @async_to_sync
    async def scenario():
        socket, _ = await _open(chat_channel)
        await _say(socket, "e1", "配送状況を教えてください")
        await socket.send_json_to({"v": 1, "type": "rate", "rating": 5})
        too_early = await _until(socket, "error")
        await socket.send_json_to({"v": 1, "type": "end"})
        ended = await _until(socket, "ended")
        results = {"too_early": too_early, "ended": ended}
        for name, frame in {
            "bad_rating": {"rating": 9},
            "bool_rating": {"rating": True},
            "bad_comment": {"rating": 4, "comment": ["x"]},
            "long_comment": {"rating": 4, "comment": "あ" * 2001},
        }.items():
            await socket.send_json_to({"v": 1, "type": "rate", **frame})
            results[name] = await _until(socket, "error")
        await socket.send_json_to({"v": 1, "type": "rate", "rating": 4, "comment": "<b>速い</b>"})
        results["rated"] = await _until(socket, "rated")
        await socket.send_json_to({"v": 1, "type": "transcript", "email": "not an email"})
        results["bad_email"] = await _until(socket, "error")
        await socket.send_json_to({"v": 1, "type": "transcript"})
        results["no_email"] = await _until(socket, "error")
        await socket.send_json_to({"v": 1, "type": "transcript", "email": "kim@example.jp"})
        results["queued"] = await _until(socket, "transcript_queued")
        await socket.disconnect()
        return results

    results = scenario()
    assert results["too_early"]["code"] == "not_ended"
    assert results["ended"]["by"] == "visitor"
    assert [c["value"] for c in results["ended"]["csat"]["choices"]] == [1, 2, 3, 4, 5]
    assert results["bad_rating"]["code"] == "bad_rating"
    assert results["bool_rating"]["code"] == "bad_rating"
    assert results["bad_comment"]["code"] == "bad_comment"
    assert results["long_comment"]["code"] == "too_long"
    assert results["rated"]["rating"] == 4
    assert results["bad_email"]["code"] == "bad_email"
    assert results["no_email"]["code"] == "email_required"
    assert results["queued"]["email"] == "kim@example.jp"
    conversation = ChatConversation.objects.get()
    assert (conversation.ended_by, conversation.rating) == ("visitor", 4)
    assert conversation.rating_comment == "<b>速い</b>"  # stored as text, shown escaped
    transcript = mail.outbox[-1]
    assert transcript.to == ["kim@example.jp"] and "配送状況を教えてください" in transcript.body


def test_transcripts_are_rate_limited(chat_channel):
    @async_to_sync
    async def scenario():
        socket, _ = await _open(chat_channel)
        await _say(socket, "t1", "hi")
        codes = []
        for _ in range(4):
            await socket.send_json_to({"v": 1, "type": "transcript", "email": "a@example.jp"})
            frame = await socket.receive_json_from(timeout=5)
            codes.append(frame.get("code", frame["type"]))
        await socket.disconnect()
        return codes

    assert scenario() == ["transcript_queued"] * 3 + ["rate_limited"]
    assert len(mail.outbox) == 3


def test_a_rating_goes_to_the_feedback_survey_when_one_was_sent(chat_channel):
    @async_to_sync
    async def first_message():
        socket, welcome = await _open(chat_channel)
        await _say(socket, "f1", "ありがとう")
        await socket.disconnect()
        return welcome

    welcome = first_message()
    ticket = Ticket.objects.get()
    now = timezone.now()
    Survey.objects.create(
        ticket=ticket, customer=ticket.customer, channel="chat", status="sent", language="ja",
        scale="good_bad", send_at=now, sent_at=now, expires_at=now + dt.timedelta(days=7),
        nonce="n" * 16,
    )  # fmt: skip

    @async_to_sync
    async def end_and_rate():
        socket, _ = await _open(chat_channel, token=welcome["token"])
        await socket.send_json_to({"v": 1, "type": "end"})
        ended = await _until(socket, "ended")
        good = max(choice["value"] for choice in ended["csat"]["choices"])
        await socket.send_json_to({"v": 1, "type": "rate", "rating": good, "comment": "助かった"})
        rated = await _until(socket, "rated")
        await socket.disconnect()
        return ended, rated

    ended, rated = end_and_rate()
    assert all(choice["label"] for choice in ended["csat"]["choices"])
    response = SurveyResponse.objects.get(ticket=ticket)
    assert response.comment == "助かった"
    assert rated["rating"] == ChatConversation.objects.get().rating


def test_the_agent_ends_the_chat_and_a_new_message_reopens_it(chat_channel):
    from channels.testing import WebsocketCommunicator

    from helpdesk.asgi import application

    agent = UserFactory(role="admin")

    @async_to_sync
    async def scenario():
        socket, _ = await _open(chat_channel)
        await _say(socket, "g1", "質問です")
        ticket = await Ticket.objects.aget()
        from django.test import Client

        client = Client()
        await client.aforce_login(agent)
        cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
        agent_socket = WebsocketCommunicator(
            application,
            f"/ws/chat/agent/{ticket.pk}/",
            headers=[
                (b"cookie", cookie),
                (b"origin", b"http://localhost"),
                (b"host", b"localhost"),
            ],
        )
        connected, _ = await agent_socket.connect()
        assert connected
        await _until(agent_socket, "hello")
        await agent_socket.send_json_to({"v": 1, "type": "end"})
        ended = await _until(socket, "ended")
        agent_saw = await _until(agent_socket, "ended")
        await _say(socket, "g2", "もう一つ")
        await agent_socket.disconnect()
        await socket.disconnect()
        return ended, agent_saw

    ended, agent_saw = scenario()
    assert ended["by"] == "agent" and agent_saw["by"] == "agent"
    conversation = ChatConversation.objects.get()
    assert conversation.ended_at is None  # the visitor wrote again: the chat goes on
    assert Message.objects.count() == 2 and Ticket.objects.count() == 1


def test_a_transfer_tells_the_visitor_who_answers_now(chat_channel):
    admin = UserFactory(role="admin")
    colleague = UserFactory(role="agent", name="鈴木")
    team = Team.objects.create(name="返品窓口")

    @async_to_sync
    async def scenario():
        socket, _ = await _open(chat_channel)
        await _say(socket, "h1", "返品したい")
        ticket = await Ticket.objects.aget()
        await sync_to_async(ticket_services.update_ticket)(
            ticket=ticket, actor=admin, assignee=colleague, team=team
        )
        frame = await _until(socket, "transferred")
        await socket.disconnect()
        return frame

    frame = scenario()
    assert frame["agent"]["name"] == "鈴木" and frame["team"] == "返品窓口"
    # The colleague's first reply does not announce them a second time.
    assert ChatConversation.objects.get().agent_joined == colleague


def test_a_chat_mail_that_cannot_be_sent_now_is_kept_and_retried(chat_channel, monkeypatch):
    import smtplib

    from livechat import ending
    from livechat import services as chat

    session = chat.open_session(channel_key=chat_channel.public_key, origin="https://shop.example")
    chat.record_visitor_message(session.visitor, client_id="r1", text="記録をください")
    monkeypatch.setattr("livechat.tasks.send_chat_mail.delay", lambda pk: None)  # queue down
    chat_mail = ending.request_transcript(session.visitor, email="ren@example.jp")

    def server_down(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", server_down)
    with pytest.raises(ending.RetryLater):
        ending.deliver_chat_mail(chat_mail.pk)
    chat_mail.refresh_from_db()
    assert (chat_mail.status, chat_mail.attempts) == ("queued", 1)
    assert "connection lost" in chat_mail.error
    monkeypatch.undo()
    ending.deliver_chat_mail(chat_mail.pk)
    chat_mail.refresh_from_db()
    assert (chat_mail.status, chat_mail.attempts, chat_mail.error) == ("sent", 2, "")
    assert mail.outbox[-1].to == ["ren@example.jp"]
    assert ending.deliver_chat_mail(chat_mail.pk) is None  # sent once, never twice
    assert len(mail.outbox) == 1
