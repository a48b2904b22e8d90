"""The answer-bot step of a chat channel: a confident answer from the help center with the
article link, "talk to a person" always there, and a hand-off to the queue that keeps the
exchange in the ticket's timeline."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from knowledge.demo_seed import seed_help_center
from knowledge.models import BotQuestion
from livechat import chatbot, live, services
from livechat.errors import ChatError
from livechat.models import BotOutcome, ChatBotTurn, ChatOffer
from tests.factories import UserFactory
from tickets.models import AuthorKind

from .conftest import ORIGIN, hello, visitor_socket

# These tests listen to the visitor's group from plain synchronous code, one event loop per
# call: the list-based layer keeps messages in Redis between loops (pub/sub keeps them in the
# loop that subscribed).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("list_layer")]

QUESTION = "How do I cancel my order?"
ARTICLE = "Changing or cancelling an order"


@pytest.fixture
def bot_channel(chat_channel):
    seed_help_center()
    chat_channel.bot_enabled = True
    chat_channel.save()
    return chat_channel


@pytest.fixture
def agent(monkeypatch):
    user = UserFactory(name="Alice")
    monkeypatch.setattr("tickets.presence.agents_online", lambda **kw: [user.pk])
    return user


def open_visitor(channel, language="en"):
    return services.open_session(
        channel_key=channel.public_key, origin=ORIGIN, language=language
    ).visitor


def frames_for(visitor):
    """A channel-layer name in the visitor's group: what their tabs would receive."""
    layer = get_channel_layer()
    name = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.visitor_group(visitor.uid), name)
    return name


def receive_until(name, kind, limit=20):
    layer = get_channel_layer()

    async def receive():
        for _ in range(limit):
            message = await asyncio.wait_for(layer.receive(name), timeout=10)
            if message["frame"]["type"] == kind:
                return message["frame"]
        raise AssertionError(f"no {kind} frame")

    return async_to_sync(receive)()


def test_a_confident_answer_holds_the_chat_and_stays_in_the_timeline(bot_channel, agent):
    visitor = open_visitor(bot_channel)
    name = frames_for(visitor)
    message, _ = services.record_visitor_message(visitor, client_id="q1", text=QUESTION)
    frame = receive_until(name, "bot")
    assert frame["answers"][0]["title"] == ARTICLE
    assert frame["answers"][0]["url"].startswith("/help/en/a/")
    assert "<" not in frame["answers"][0]["extract"]
    assert frame["text"] == "These articles may answer your question:"
    turn = ChatBotTurn.objects.get()
    assert turn.outcome == BotOutcome.ANSWERED and turn.question == message
    assert BotQuestion.objects.get(token=turn.bot_token).source == "widget"
    # Not offered to anyone while the visitor reads the answer.
    assert not ChatOffer.objects.exists()
    bot_note = message.ticket.messages.get(author_kind=AuthorKind.SYSTEM)
    assert ARTICLE in bot_note.body_text and "/help/en/a/" in bot_note.body_text
    assert not bot_note.internal
    # A reload shows the card again.
    assert chatbot.pending_frame(visitor)["turn"] == turn.pk


def test_talk_to_a_person_hands_off_to_the_queue(bot_channel, agent):
    visitor = open_visitor(bot_channel)
    message, _ = services.record_visitor_message(visitor, client_id="q1", text=QUESTION)
    name = frames_for(visitor)
    chatbot.hand_off(visitor)
    assert receive_until(name, "handed_off") == {"v": 1, "type": "handed_off"}
    turn = ChatBotTurn.objects.get()
    assert turn.outcome == BotOutcome.HANDED_OFF and turn.resolved_at
    offer = ChatOffer.objects.get(ticket=message.ticket)
    assert offer.agent == agent
    notes = list(message.ticket.messages.filter(author_kind=AuthorKind.SYSTEM).order_by("id"))
    assert len(notes) == 2 and notes[1].internal  # the agent sees the whole exchange
    assert chatbot.pending_frame(visitor) is None
    with pytest.raises(ChatError) as again:
        chatbot.hand_off(visitor)
    assert again.value.code == "no_bot"


def test_writing_again_is_a_hand_off(bot_channel, agent):
    visitor = open_visitor(bot_channel)
    services.record_visitor_message(visitor, client_id="q1", text=QUESTION)
    message, _ = services.record_visitor_message(
        visitor, client_id="q2", text="It's already shipped"
    )
    assert ChatBotTurn.objects.get().outcome == BotOutcome.HANDED_OFF
    assert ChatOffer.objects.get(ticket=message.ticket).agent == agent
    # The bot answers only the first message of a chat.
    assert ChatBotTurn.objects.count() == 1


def test_that_answered_it_is_a_deflection_and_not_offered(bot_channel, agent):
    visitor = open_visitor(bot_channel)
    message, _ = services.record_visitor_message(visitor, client_id="q1", text=QUESTION)
    turn = ChatBotTurn.objects.get()
    article = turn.answers[0]["id"]
    for bad in ("1", None, True, 999999, [article]):
        with pytest.raises(ChatError) as refused:
            chatbot.answer_solved(visitor, article=bad)
        assert refused.value.code == "bad_article"
    chatbot.answer_solved(visitor, article=article)
    turn.refresh_from_db()
    assert turn.outcome == BotOutcome.SOLVED
    assert BotQuestion.objects.get(token=turn.bot_token).solved_article_id == article
    assert not ChatOffer.objects.exists()
    note = message.ticket.messages.filter(author_kind=AuthorKind.SYSTEM).order_by("-id").first()
    assert note.internal and ARTICLE in note.body_text
    with pytest.raises(ChatError):
        chatbot.answer_solved(visitor, article=article)  # once


def test_no_confident_answer_goes_straight_to_a_person(bot_channel, agent):
    visitor = open_visitor(bot_channel)
    message, _ = services.record_visitor_message(
        visitor, client_id="q1", text="Do you sell purple giraffes?"
    )
    assert ChatBotTurn.objects.get().outcome == BotOutcome.NO_ANSWER
    assert ChatOffer.objects.get(ticket=message.ticket).agent == agent
    assert not message.ticket.messages.filter(author_kind=AuthorKind.SYSTEM).exists()


def test_japanese_visitors_get_japanese_articles(bot_channel, agent):
    visitor = open_visitor(bot_channel, language="ja")
    name = frames_for(visitor)
    services.record_visitor_message(visitor, client_id="q1", text="パスワードを忘れてしまいました")
    frame = receive_until(name, "bot")
    assert frame["answers"][0]["title"] == "パスワードを忘れた・再設定したい"
    assert frame["text"]


def test_the_bot_is_off_unless_the_channel_turns_it_on(chat_channel, agent):
    seed_help_center()
    visitor = open_visitor(chat_channel)
    message, _ = services.record_visitor_message(visitor, client_id="q1", text=QUESTION)
    assert not ChatBotTurn.objects.exists()
    assert ChatOffer.objects.get(ticket=message.ticket).agent == agent


# --- over the socket, hostile frames included ---------------------------------------------


async def _hello(socket, channel):
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to(hello(channel, lang="en"))
    return await socket.receive_json_from(timeout=10)


async def _until(socket, kind):
    for _ in range(20):
        frame = await socket.receive_json_from(timeout=10)
        if frame["type"] == kind:
            return frame
    raise AssertionError(kind)


def test_bot_frames_over_the_socket(bot_channel, agent):
    async def run():
        socket = visitor_socket()
        welcome = await _hello(socket, bot_channel)
        assert welcome["bot"] is None
        await socket.send_json_to({"v": 1, "type": "handoff"})
        assert (await _until(socket, "error"))["code"] == "no_bot"
        await socket.send_json_to({"v": 1, "type": "message", "id": "m1", "text": QUESTION})
        bot = await _until(socket, "bot")
        for hostile in (
            {"v": 1, "type": "bot_solved"},
            {"v": 1, "type": "bot_solved", "article": "<script>"},
            {"v": 1, "type": "bot_solved", "article": 2**70},
            {"v": 1, "type": "bot_solved", "article": {"id": 1}},
        ):
            await socket.send_json_to(hostile)
            assert (await _until(socket, "error"))["code"] == "bad_article"
        await socket.send_json_to({"v": 2, "type": "handoff"})
        assert (await _until(socket, "error"))["code"] == "bad_version"
        # A reload: the card comes back in the welcome.
        second = visitor_socket()
        again = await _hello_with_token(second, bot_channel, welcome["token"])
        assert again["bot"]["turn"] == bot["turn"]
        await socket.send_json_to({"v": 1, "type": "handoff", "extra": "x" * 100})
        assert (await _until(socket, "handed_off"))["type"] == "handed_off"
        assert (await _until(second, "handed_off"))["type"] == "handed_off"  # every tab
        await socket.send_json_to({"v": 1, "type": "handoff"})
        assert (await _until(socket, "error"))["code"] == "no_bot"
        await socket.disconnect()
        await second.disconnect()

    async_to_sync(run)()
    assert ChatOffer.objects.get().agent == agent


async def _hello_with_token(socket, channel, token):
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to(hello(channel, lang="en", token=token))
    return await socket.receive_json_from(timeout=10)


def test_bot_frames_before_hello_are_refused():
    async def run():
        socket = visitor_socket()
        await socket.connect()
        await socket.send_json_to({"v": 1, "type": "bot_solved", "article": 1})
        assert (await socket.receive_json_from(timeout=10))["code"] == "hello_first"
        await socket.send_json_to({"v": 1, "type": "handoff"})
        assert (await socket.receive_json_from(timeout=10))["code"] == "hello_first"
        await socket.disconnect()

    async_to_sync(run)()
