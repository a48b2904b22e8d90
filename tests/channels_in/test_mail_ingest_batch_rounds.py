"""A batch files set-wise, but what every listener sees is what one-by-one filing gives:
every ticket_changed event in order, a live event per message, threads onto tickets touched
earlier in the same batch, storms counted mail by mail."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from channels_in.models import InboundEvent, InboundStatus
from customers.models import Customer
from tests.channels_in.test_mail_ingest_batch import ingest, mail  # noqa: F401 - the fixture
from tickets import realtime
from tickets.models import Message, Status, Ticket, TicketLink
from tickets.signals import TicketEvent, ticket_changed

pytestmark = pytest.mark.django_db


def message_id(raw: bytes) -> str:
    return raw.split(b"Message-ID: ")[1].split(b"\n")[0].decode().strip()


@pytest.fixture
def heard():
    """Every ticket_changed event, as (ticket id, event, message body, changes)."""
    events = []

    def listen(sender, *, ticket, event, message=None, changes=None, **kwargs):
        body = message.body_text if message is not None else None
        events.append((ticket.pk, event, body, dict(changes or {})))

    ticket_changed.connect(listen, dispatch_uid="test-batch-rounds")
    yield events
    ticket_changed.disconnect(dispatch_uid="test-batch-rounds")


@pytest.fixture
def published(monkeypatch):
    """Every live event the inbox sockets would get, and how many hand-overs carried them."""
    sent = {"events": [], "hand_overs": 0}

    def send_all(events):
        sent["hand_overs"] += 1
        sent["events"].extend(events)

    monkeypatch.setattr(realtime, "_send_all", send_all)
    return sent


def test_every_listener_hears_every_mail_of_a_batch_in_order(ingest, heard, published):  # noqa: F811
    raws = [mail(n) for n in range(1, 6)]

    ingest(raws)

    tickets = list(Ticket.objects.order_by("pk"))
    assert [event for _t, event, _b, _c in heard] == [TicketEvent.CREATED] * 5
    assert [t for t, _e, _b, _c in heard] == [t.pk for t in tickets]
    assert [body for _t, _e, body, _c in heard] == [
        f"注文 {n} がまだ届きません。" for n in range(1, 6)
    ]
    # One hand-over to the publisher for the batch, one event per mail, in order.
    assert published["hand_overs"] == 1
    assert [(e["type"], e["ticket"]) for e in published["events"]] == [
        ("ticket.created", t.pk) for t in tickets
    ]
    messages = {m.ticket_id: m.pk for m in Message.objects.all()}
    assert [e["message"] for e in published["events"]] == [messages[t.pk] for t in tickets]


def test_two_mails_on_one_solved_ticket_in_one_batch_reopen_it_once(ingest, heard):  # noqa: F811
    opening = mail(1)
    ingest([opening])
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.SOLVED, solved_at=timezone.now())
    heard.clear()

    first = mail(1, subject="Re: 注文", headers={"In-Reply-To": message_id(opening)})
    second = mail(1, subject="Re: 注文", headers={"In-Reply-To": message_id(first)})
    ingest([first, second, mail(2)])

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.solved_at is None
    assert Ticket.objects.count() == 2
    assert ticket.messages.count() == 3
    events = [(t, event, changes) for t, event, _b, changes in heard]
    other = Ticket.objects.exclude(pk=ticket.pk).get()
    # In the mails' order; the first reply reopened it (reported once), the second found it
    # open — it answers the first, so it was filed after it, as one by one.
    assert events == [
        (ticket.pk, TicketEvent.CUSTOMER_MESSAGE, {"status": (Status.SOLVED, Status.OPEN)}),
        (ticket.pk, TicketEvent.CUSTOMER_MESSAGE, {}),
        (other.pk, TicketEvent.CREATED, {}),
    ]


def test_a_reply_to_a_long_closed_ticket_opens_a_linked_follow_up(ingest, settings):  # noqa: F811
    settings.REOPEN_CLOSED_WITHIN_DAYS = 7
    opening = mail(1)
    ingest([opening])
    closed = Ticket.objects.get()
    long_ago = timezone.now() - timedelta(days=30)
    Ticket.objects.filter(pk=closed.pk).update(status=Status.CLOSED, closed_at=long_ago)

    ingest([mail(1, subject="Re: 注文", headers={"In-Reply-To": message_id(opening)}), mail(3)])

    follow_up = Ticket.objects.exclude(pk=closed.pk).filter(customer=closed.customer).get()
    assert TicketLink.objects.filter(ticket=follow_up, origin=closed).exists()
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and closed.messages.count() == 1


def test_a_ticket_number_threads_only_for_its_own_customer_in_a_batch(ingest):  # noqa: F811
    ingest([mail(1)])
    ticket = Ticket.objects.get()
    mine = mail(1, subject=f"Re: 注文 [#{ticket.pk}]")
    someone_else = mail(9, subject=f"Re: 注文 [#{ticket.pk}]")

    ingest([mine, someone_else])

    assert ticket.messages.count() == 2
    assert Ticket.objects.count() == 2


def test_a_storm_in_one_batch_is_held_from_the_mail_over_the_limit(ingest, settings):  # noqa: F811
    settings.MAIL_RATE_LIMIT = 3
    sender = f"storm-{uuid.uuid4().hex[:8]}@example.com"
    raws = [mail(n, sender=sender) for n in range(5)]

    with translation.override("en"):
        ingest(raws)

    events = list(InboundEvent.objects.order_by("pk"))
    assert [e.status for e in events] == [InboundStatus.PROCESSED] * 3 + [InboundStatus.HELD] * 2
    assert "Mail storm: 4 mails" in events[3].error and sender in events[3].error
    assert Ticket.objects.count() == 3


def test_a_blocked_sender_in_a_batch_is_held_and_the_rest_filed(ingest):  # noqa: F811
    ingest([mail(1)])
    Customer.objects.update(blocked_at=timezone.now())

    ingest([mail(1), mail(2)])

    statuses = sorted(InboundEvent.objects.values_list("status", flat=True))
    assert statuses == [InboundStatus.HELD, InboundStatus.PROCESSED, InboundStatus.PROCESSED]
    assert Ticket.objects.count() == 2
