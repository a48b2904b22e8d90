"""Chat rules without a socket: raw first, one message per client id, customers joined."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from channels_in.models import DeliveryStatus, InboundEvent, OutboundDelivery
from customers.models import Customer, Identity
from livechat import limits, live, services
from livechat.models import ChatChannel, ChatConversation
from livechat.services import ChatError
from tests.factories import CustomerFactory, IdentityFactory, UserFactory
from tickets import services as ticket_services
from tickets.inbound import IncomingMessage
from tickets.models import AuthorKind, Message, Ticket

from .conftest import ORIGIN, SECRET

# These tests listen to the visitor's group from plain synchronous code, one event loop per
# call: the list-based layer keeps messages in Redis between loops (pub/sub keeps them in the
# loop that subscribed).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("list_layer")]


def open_visitor(channel, **kwargs):
    return services.open_session(channel_key=channel.public_key, origin=ORIGIN, **kwargs).visitor


def test_a_message_is_stored_raw_then_filed_as_a_chat_ticket(chat_channel):
    visitor = open_visitor(chat_channel)
    message, duplicate = services.record_visitor_message(
        visitor, client_id="c1", text="<b>配送</b>について"
    )
    assert not duplicate
    event = InboundEvent.objects.get(kind="chat")
    assert event.idempotency_key == f"chat:{visitor.uid.hex}:c1"
    assert event.message == message
    assert message.ticket.channel == "chat"
    assert message.body_text == "<b>配送</b>について"  # text, never HTML
    assert message.body_html == ""
    assert ChatConversation.objects.get(visitor=visitor).ticket == message.ticket


def test_the_same_client_id_twice_is_one_message(chat_channel):
    visitor = open_visitor(chat_channel)
    first, _ = services.record_visitor_message(visitor, client_id="same", text="hello")
    again, duplicate = services.record_visitor_message(visitor, client_id="same", text="hello")
    assert duplicate and again == first
    assert Message.objects.count() == 1
    assert InboundEvent.objects.count() == 1


def test_later_messages_thread_into_the_same_ticket(chat_channel):
    visitor = open_visitor(chat_channel)
    a, _ = services.record_visitor_message(visitor, client_id="a", text="one")
    b, _ = services.record_visitor_message(visitor, client_id="b", text="two")
    assert a.ticket_id == b.ticket_id
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"client_id": "", "text": "x"}, "bad_client_id"),
        ({"client_id": "has space", "text": "x"}, "bad_client_id"),
        ({"client_id": "x" * 65, "text": "x"}, "bad_client_id"),
        ({"client_id": "ok", "text": "x" * 5001}, "too_long"),
        ({"client_id": "ok", "text": "   "}, "empty"),
        ({"client_id": "ok", "text": {"html": 1}}, "bad_text"),
        ({"client_id": "ok", "text": "x", "uploads": "nope"}, "bad_uploads"),
        ({"client_id": "ok", "text": "x", "uploads": ["not-mine"]}, "bad_uploads"),
    ],
)
def test_bad_messages_are_refused_and_store_nothing(chat_channel, kwargs, code):
    visitor = open_visitor(chat_channel)
    with pytest.raises(ChatError) as error:
        services.record_visitor_message(visitor, **kwargs)
    assert error.value.code == code
    assert not InboundEvent.objects.exists()


def test_wrong_origin_and_unknown_channel_are_refused(chat_channel):
    with pytest.raises(ChatError) as error:
        services.open_session(channel_key=chat_channel.public_key, origin="https://evil.example")
    assert error.value.code == "origin_not_allowed"
    with pytest.raises(ChatError) as error:
        services.open_session(channel_key="ch_nope", origin=ORIGIN)
    assert error.value.code == "unknown_channel"
    chat_channel.active = False
    chat_channel.save()
    with pytest.raises(ChatError):
        open_visitor(chat_channel)


def test_a_token_keeps_the_visitor_and_works_on_its_own_channel_only(chat_channel):
    session = services.open_session(channel_key=chat_channel.public_key, origin=ORIGIN)
    again = open_visitor(chat_channel, token=session.token)
    assert again.pk == session.visitor.pk
    other = ChatChannel.objects.create(name="Other", allowed_origins=ORIGIN)
    assert services.visitor_from_token(other, session.token) is None
    assert services.visitor_from_token(chat_channel, session.token + "x") is None


def test_verified_identity_attaches_to_the_same_customer_every_time(chat_channel):
    good = {"user_id": "42", "user_hash": services.identity_signature(SECRET, "42")}
    first = open_visitor(chat_channel, identity=good)
    services.record_visitor_message(first, client_id="m1", text="hi")
    # Another browser, the same shop account: the same customer and open ticket.
    second = open_visitor(chat_channel, identity=good)
    assert second.pk != first.pk
    message, _ = services.record_visitor_message(second, client_id="m1", text="again")
    assert Ticket.objects.count() == 1
    assert message.identity.handle == f"u:{chat_channel.pk}:42"


def test_a_bad_hmac_is_refused(chat_channel):
    with pytest.raises(ChatError) as error:
        open_visitor(chat_channel, identity={"user_id": "42", "user_hash": "0" * 64})
    assert error.value.code == "bad_identity"
    wrong_secret = services.identity_signature("another-secret", "42")
    with pytest.raises(ChatError):
        open_visitor(chat_channel, identity={"user_id": "42", "user_hash": wrong_secret})


def test_a_token_of_another_signed_in_user_starts_a_new_visitor(chat_channel):
    a = {"user_id": "1", "user_hash": services.identity_signature(SECRET, "1")}
    b = {"user_id": "2", "user_hash": services.identity_signature(SECRET, "2")}
    session = services.open_session(channel_key=chat_channel.public_key, origin=ORIGIN, identity=a)
    services.record_visitor_message(session.visitor, client_id="x", text="secret order")
    other = open_visitor(chat_channel, token=session.token, identity=b)
    assert other.pk != session.visitor.pk
    assert services.messages_since(other, 0) == []


def test_leaving_an_email_joins_the_conversation_to_that_customer(chat_channel):
    known = CustomerFactory(email="hanako@example.jp", name="山田 花子")
    IdentityFactory(customer=known, kind="email", handle="hanako@example.jp")
    visitor = open_visitor(chat_channel)
    message, _ = services.record_visitor_message(visitor, client_id="m", text="届きません")
    anonymous_customer = message.ticket.customer_id
    services.update_profile(visitor, name="", email="Hanako@Example.jp")
    message.ticket.refresh_from_db()
    assert message.ticket.customer == known
    assert not Customer.objects.filter(pk=anonymous_customer).exists()
    later, _ = services.record_visitor_message(visitor, client_id="n", text="続き")
    assert later.ticket_id == message.ticket_id


def test_an_email_never_shows_the_visitor_that_customers_earlier_messages(chat_channel):
    known = CustomerFactory(email="taro@example.jp")
    IdentityFactory(customer=known, kind="email", handle="taro@example.jp")
    identity = IdentityFactory(customer=known, kind="chat", handle="v:someone-else")
    earlier = ticket_services.receive_message(
        IncomingMessage(
            channel="chat", identity_kind="chat", handle=identity.handle, body_text="private"
        )
    )
    visitor = open_visitor(chat_channel)
    services.update_profile(visitor, name="", email="taro@example.jp")
    mine, _ = services.record_visitor_message(visitor, client_id="m", text="mine")
    assert mine.ticket_id == earlier.ticket_id  # one open chat per customer
    texts = [m["text"] for m in services.messages_since(visitor, 0)]
    assert texts == ["mine"]


def test_profile_rules_follow_the_channel(chat_channel):
    chat_channel.ask_email = "required"
    chat_channel.save()
    visitor = open_visitor(chat_channel)
    assert services.needs_profile(visitor)
    with pytest.raises(ChatError) as error:
        services.record_visitor_message(visitor, client_id="m", text="hi")
    assert error.value.code == "profile_required"
    with pytest.raises(ChatError) as error:
        services.update_profile(visitor, name="A", email="not-an-email")
    assert error.value.code == "bad_email"
    services.update_profile(visitor, name="A", email="a@example.com")
    assert not services.needs_profile(visitor)


def test_an_agent_reply_is_a_delivery_row_pushed_to_the_visitor_group(chat_channel):
    visitor = open_visitor(chat_channel)
    message, _ = services.record_visitor_message(visitor, client_id="m", text="hi")
    layer = get_channel_layer()
    channel_name = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.visitor_group(visitor.uid), channel_name)
    agent = UserFactory(role="agent", name="佐藤")
    reply = ticket_services.reply(ticket=message.ticket, author=agent, body_text="お待たせしました")
    delivery = OutboundDelivery.objects.get(message=reply)
    assert delivery.kind == "chat"
    assert delivery.status == DeliveryStatus.SENT  # Celery runs eagerly in these tests
    joined = async_to_sync(layer.receive)(channel_name)["frame"]
    pushed = async_to_sync(layer.receive)(channel_name)["frame"]
    assert joined == {"v": 1, "type": "agent_joined", "agent": {"name": "佐藤", "initial": "佐"}}
    assert pushed["type"] == "message"
    assert pushed["message"]["text"] == "お待たせしました"
    assert pushed["message"]["from"] == "agent"
    # The visitor who was offline gets it from the replay.
    assert [m["id"] for m in services.messages_since(visitor, message.pk)] == [reply.pk]


def test_internal_notes_never_reach_the_visitor(chat_channel):
    visitor = open_visitor(chat_channel)
    message, _ = services.record_visitor_message(visitor, client_id="m", text="hi")
    agent = UserFactory(role="agent")
    ticket_services.reply(ticket=message.ticket, author=agent, body_text="VIP?", internal=True)
    assert [m["text"] for m in services.messages_since(visitor, 0)] == ["hi"]


def test_messages_are_rate_limited_per_visitor(chat_channel, monkeypatch):
    monkeypatch.setattr(limits, "MESSAGES_PER_MINUTE", 2)
    visitor = open_visitor(chat_channel)
    services.record_visitor_message(visitor, client_id="1", text="a")
    services.record_visitor_message(visitor, client_id="2", text="b")
    with pytest.raises(ChatError) as error:
        services.record_visitor_message(visitor, client_id="3", text="c")
    assert error.value.code == "rate_limited"
    # A resend of a stored message is no new message: still acknowledged.
    assert services.record_visitor_message(visitor, client_id="1", text="a")[1] is True


def test_a_blocked_customer_is_kept_raw_but_opens_nothing(chat_channel):
    visitor = open_visitor(chat_channel)
    services.record_visitor_message(visitor, client_id="1", text="a")
    customer = Identity.objects.get(kind="chat").customer
    from django.utils import timezone

    Customer.objects.filter(pk=customer.pk).update(blocked_at=timezone.now())
    message, _ = services.record_visitor_message(visitor, client_id="2", text="abuse")
    assert message is None
    assert InboundEvent.objects.filter(idempotency_key__endswith=":2").exists()
    assert Message.objects.filter(author_kind=AuthorKind.CUSTOMER).count() == 1


def test_push_hook_reaches_every_visitor_of_the_ticket(chat_channel):
    visitor = open_visitor(chat_channel)
    message, _ = services.record_visitor_message(visitor, client_id="m", text="hi")
    layer = get_channel_layer()
    channel_name = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.visitor_group(visitor.uid), channel_name)
    count = services.push_to_ticket_visitors(
        message.ticket, {"type": "survey", "url": "https://h/s/1", "text": "How did we do?"}
    )
    assert count == 1
    frame = async_to_sync(layer.receive)(channel_name)["frame"]
    assert frame == {"v": 1, "type": "survey", "url": "https://h/s/1", "text": "How did we do?"}


def test_a_message_filed_by_the_ingest_queue_is_linked_when_the_agent_replies(chat_channel):
    """A retry or `replay_inbound` files the message without the visitor's socket: the
    agent's reply still finds the visitor."""
    visitor = open_visitor(chat_channel)
    message, _ = services.record_visitor_message(visitor, client_id="m", text="hi")
    ChatConversation.objects.all().delete()
    agent = UserFactory(role="agent")
    reply = ticket_services.reply(ticket=message.ticket, author=agent, body_text="hello")
    assert OutboundDelivery.objects.get(message=reply).status == DeliveryStatus.SENT
    assert ChatConversation.objects.get().visitor == visitor
