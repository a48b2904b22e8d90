"""A mail batch moves ticket clocks as the same mails filed one by one would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from automations.models import TicketClock
from tests.factories import UserFactory
from tickets.inbound import IncomingMessage
from tickets.models import Status, Ticket
from tickets.receive import receive_batch, receive_message
from tickets.services import reply

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 11, 0, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _incoming(n: int, *, hint: int | None = None, handle: str | None = None) -> IncomingMessage:
    return IncomingMessage(
        channel="email",
        identity_kind="email",
        handle=handle or f"clock{n}@example.jp",
        body_text=f"問い合わせ {n}",
        subject=f"Subject {n}",
        external_id=f"<clock-batch-{n}@example.jp>",
        ticket_hint=hint,
    )


def _clocks_by_position() -> list[tuple]:
    order = {
        pk: n for n, pk in enumerate(Ticket.objects.order_by("id").values_list("id", flat=True))
    }
    return sorted(
        (order[c.ticket_id], c.status, c.status_since, c.customer_message_at, c.agent_reply_at)
        for c in TicketClock.objects.all()
    )


def test_a_mail_batch_moves_clocks_like_mails_filed_one_by_one():
    agent = UserFactory(role="agent")
    waiting = receive_message(_incoming(90, handle="waiting@example.jp")).ticket
    reply(ticket=waiting, author=agent, body_text="ご確認ください", status=Status.PENDING)
    solved = receive_message(_incoming(91, handle="solved@example.jp")).ticket
    reply(ticket=solved, author=agent, body_text="解決しました", status=Status.SOLVED)
    incomings = [
        _incoming(1),
        _incoming(2, hint=waiting.pk, handle="waiting@example.jp"),
        _incoming(3),
        _incoming(4, hint=solved.pk, handle="solved@example.jp"),
        _incoming(5, handle="clock1@example.jp"),  # the same customer again in the batch
    ]
    with transaction.atomic():
        for incoming in incomings:
            receive_message(incoming)
        expected = _clocks_by_position()
        transaction.set_rollback(True)

    receive_batch(incomings)

    assert _clocks_by_position() == expected
    reopened = TicketClock.objects.get(ticket=solved)
    assert reopened.status == Status.OPEN and reopened.customer_message_at is not None
    assert TicketClock.objects.get(ticket=waiting).agent_reply_at is not None
    assert TicketClock.objects.count() == 5
