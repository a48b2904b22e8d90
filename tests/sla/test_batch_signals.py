"""tickets.signals.send_many: batch receivers take the list once, every other receiver each
event as a single `ticket_changed`; and a mail batch filed set-wise ends with the SLA rows that
filing its mails one by one gives."""

from __future__ import annotations

import pytest
from django.db import transaction

from sla.models import RollupDirtyHour, SlaClock, TicketSla
from tests.sla.conftest import customer_writes
from tickets.inbound import IncomingMessage
from tickets.models import Status, Ticket
from tickets.receive import receive_batch, receive_message
from tickets.services import reply
from tickets.signals import TicketChange, TicketEvent, connect_batch, send_many, ticket_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """What a receiver that only knows ticket_changed hears."""
    events = []

    def listen(sender, *, ticket, event, actor=None, message=None, changes=None, **kwargs):
        events.append((sender, ticket.pk, event, actor, message, changes))

    ticket_changed.connect(listen, dispatch_uid="test-send-many-listener")
    yield events
    ticket_changed.disconnect(dispatch_uid="test-send-many-listener")


@pytest.fixture
def batched():
    """A receiver with a batch form: what each form got."""
    got = {"single": [], "batches": []}

    def single(sender, *, ticket, event, **kwargs):
        got["single"].append((ticket.pk, event))

    connect_batch(
        single,
        batch=lambda changes: got["batches"].append(list(changes)),
        dispatch_uid="test-batch-form",
    )
    yield got
    ticket_changed.disconnect(dispatch_uid="test-batch-form")


def test_a_receiver_of_single_events_hears_every_event_of_a_list_in_order(
    clock, policy, agent, heard, batched
):
    first, second = customer_writes(), customer_writes()
    heard.clear()
    batched["single"].clear()
    note = first.messages.get()
    changes = [
        TicketChange(first, TicketEvent.CUSTOMER_MESSAGE, message=note),
        TicketChange(
            second, TicketEvent.UPDATED, actor=agent, changes={"priority": ("normal", "high")}
        ),
        TicketChange(first, TicketEvent.AGENT_REPLY, actor=agent),
    ]

    send_many(changes, sender=Ticket)

    assert heard == [
        (Ticket, first.pk, TicketEvent.CUSTOMER_MESSAGE, None, note, {}),
        (Ticket, second.pk, TicketEvent.UPDATED, agent, None, {"priority": ("normal", "high")}),
        (Ticket, first.pk, TicketEvent.AGENT_REPLY, agent, None, {}),
    ]
    # The batch form had the whole list once; its single form skipped those events…
    assert batched["batches"] == [changes]
    assert batched["single"] == []
    # …and still follows single writes.
    ticket_changed.send(
        sender=Ticket, ticket=first, event=TicketEvent.UPDATED, actor=None, message=None, changes={}
    )
    assert batched["single"] == [(first.pk, TicketEvent.UPDATED)]


def test_a_write_made_while_handling_a_batched_event_reaches_batch_receivers(
    clock, policy, agent, batched
):
    ticket = customer_writes()
    batched["single"].clear()

    def automation(sender, *, ticket, event, batched=False, **kwargs):
        if event == TicketEvent.CUSTOMER_MESSAGE:  # e.g. a trigger raising the priority
            ticket_changed.send(
                sender=sender,
                ticket=ticket,
                event=TicketEvent.UPDATED,
                actor=None,
                message=None,
                changes={},
            )

    ticket_changed.connect(automation, dispatch_uid="test-nested-automation")
    try:
        send_many([TicketChange(ticket, TicketEvent.CUSTOMER_MESSAGE)], sender=Ticket)
    finally:
        ticket_changed.disconnect(dispatch_uid="test-nested-automation")
    assert batched["single"] == [(ticket.pk, TicketEvent.UPDATED)]
    assert len(batched["batches"]) == 1


def test_disconnecting_a_batch_receiver_stops_its_batch_form_too(clock, policy, batched):
    ticket = customer_writes()
    ticket_changed.disconnect(dispatch_uid="test-batch-form")
    send_many([TicketChange(ticket, TicketEvent.CUSTOMER_MESSAGE)], sender=Ticket)
    send_many([], sender=Ticket)
    assert batched["batches"] == []


def _incoming(n: int, *, hint: int | None = None, handle: str | None = None) -> IncomingMessage:
    return IncomingMessage(
        channel="email",
        identity_kind="email",
        handle=handle or f"batch-sla{n}@example.jp",
        body_text=f"問い合わせ {n}",
        subject=f"Subject {n}",
        external_id=f"<batch-sla-{n}@example.jp>",
        ticket_hint=hint,
    )


def _sla_by_position() -> dict:
    """The SLA rows of every ticket, keyed by ticket order instead of id (ids differ between
    two fillings of the same mails)."""
    order = {
        pk: n for n, pk in enumerate(Ticket.objects.order_by("id").values_list("id", flat=True))
    }

    def placed(row: dict) -> dict:
        return {**row, "ticket_id": order[row["ticket_id"]]}

    clock_fields = [f.attname for f in SlaClock._meta.concrete_fields if f.attname != "id"]
    return {
        "facts": [placed(r) for r in TicketSla.objects.order_by("ticket_id").values()],
        "clocks": [
            placed(r)
            for r in SlaClock.objects.order_by("ticket_id", "started_at", "metric").values(
                *clock_fields
            )
        ],
        "summaries": list(
            Ticket.objects.order_by("id").values_list("sla_target", "sla_due_at", "sla_breached")
        ),
        "dirty_hours": set(RollupDirtyHour.objects.values_list("hour", flat=True)),
    }


def test_a_mail_batch_measures_like_mails_filed_one_by_one(clock, policy, agent):
    waiting = customer_writes(handle="waiting@example.jp")
    clock.set(2026, 6, 10, 10, 30)
    reply(ticket=waiting, author=agent, body_text="ご確認ください", status=Status.PENDING)
    solved = customer_writes(handle="solved@example.jp")
    reply(ticket=solved, author=agent, body_text="解決しました", status=Status.SOLVED)
    clock.set(2026, 6, 11, 9, 15)
    RollupDirtyHour.objects.all().delete()
    incomings = [
        _incoming(1),
        _incoming(2, hint=waiting.pk, handle="waiting@example.jp"),
        _incoming(3),
        _incoming(4, hint=solved.pk, handle="solved@example.jp"),
        _incoming(5, handle="batch-sla1@example.jp"),
    ]
    with transaction.atomic():
        for incoming in incomings:
            receive_message(incoming)
        expected = _sla_by_position()
        transaction.set_rollback(True)

    receive_batch(incomings)

    assert _sla_by_position() == expected
    waiting.refresh_from_db()
    assert (
        waiting.status == Status.OPEN and TicketSla.objects.get(ticket=waiting).paused_minutes > 0
    )
    assert TicketSla.objects.get(ticket=solved).reopens == 1
    assert TicketSla.objects.count() == 5
