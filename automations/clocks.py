"""Ticket clocks: when the status last changed and when each side last wrote.

Time automations ask "pending for 3 days?" or "no word from the customer for 2 days?". The
ticket row does not say when its status was set, and finding the last reply of each side among
millions of messages is no query to run every minute, so these receivers write those moments
into one small row per ticket (TicketClock), inside the ticket write's transaction, from
`ticket_changed` — one upsert per event, or per moved field set for a `send_many` list (a mail
batch: one statement instead of one per mail).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from tickets.models import AuthorKind, Message, Ticket
from tickets.signals import TicketChange, TicketEvent

from .models import TicketClock


def on_ticket_changed(
    sender: Any,
    *,
    ticket: Ticket,
    event: str,
    message: Message | None = None,
    changes: dict | None = None,
    **kwargs: Any,
) -> None:
    clock_follow(ticket, event, message, changes or {})


def on_ticket_changes(changes: Sequence[TicketChange]) -> None:
    """The batch form: the moved fields of each ticket merged in event order (a later event's
    moment wins, as consecutive upserts would leave it), then one upsert per field set."""
    now = timezone.now()
    merged: dict[int, tuple[Ticket, dict[str, Any]]] = {}
    for change in changes:
        fields = _moved(change.ticket, change.event, change.message, change.changes, now)
        if fields:
            _ticket, known = merged.setdefault(change.ticket.pk, (change.ticket, {}))
            known.update(fields)
    groups: dict[tuple[str, ...], list[TicketClock]] = {}
    for ticket, fields in merged.values():
        groups.setdefault(tuple(sorted(fields)), []).append(_row(ticket, fields, now))
    for update_fields, rows in groups.items():
        _upsert(rows, list(update_fields))


def clock_follow(
    ticket: Ticket, event: str, message: Message | None, changes: dict[str, Any]
) -> None:
    """Move the ticket's clock for `event`: one upsert, and none for events that move nothing."""
    now = timezone.now()
    fields = _moved(ticket, event, message, changes, now)
    if fields:
        _upsert([_row(ticket, fields, now)], list(fields))


def _moved(ticket, event, message, changes, now) -> dict[str, Any]:
    at = message.created_at if message is not None and message.created_at else now
    fields: dict[str, Any] = {}
    if event == TicketEvent.CREATED or "status" in (changes or {}):
        fields.update(status=ticket.status, status_since=now)
    if event == TicketEvent.CREATED:
        fields["customer_message_at"] = ticket.customer_activity_at or (
            at if message is not None and message.author_kind == AuthorKind.CUSTOMER else None
        )
    elif event == TicketEvent.CUSTOMER_MESSAGE:
        fields["customer_message_at"] = at
    elif (
        event == TicketEvent.AGENT_REPLY
        and message is not None
        and message.author_kind == AuthorKind.AGENT
    ):
        fields["agent_reply_at"] = at
    return fields


def _row(ticket: Ticket, fields: dict[str, Any], now) -> TicketClock:
    return TicketClock(
        ticket_id=ticket.pk,
        status=fields.get("status", ticket.status),
        status_since=fields.get("status_since", ticket.updated_at or now),
        customer_message_at=fields.get("customer_message_at"),
        agent_reply_at=fields.get("agent_reply_at"),
    )


def _upsert(rows: list[TicketClock], update_fields: list[str]) -> None:
    # INSERT … ON CONFLICT DO UPDATE of only the moved fields: one statement, no race with a
    # concurrent write of the same ticket (that one holds the ticket row lock anyway).
    TicketClock.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["ticket"], update_fields=update_fields
    )
