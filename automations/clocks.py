"""Ticket clocks: when the status last changed and when each side last wrote.

Time automations ask "pending for 3 days?" or "no word from the customer for 2 days?". The
ticket row does not say when its status was set, and finding the last reply of each side among
millions of messages is no query to run every minute, so `clock_follow` writes those moments
into one small row per ticket (TicketClock), inside the ticket write's transaction, from
`ticket_changed`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tickets.models import AuthorKind, Message, Ticket
from tickets.signals import TicketEvent

from .models import TicketClock


def clock_follow(
    ticket: Ticket, event: str, message: Message | None, changes: dict[str, Any]
) -> None:
    """Move the ticket's clock for `event`: one upsert, and none for events that move nothing."""
    now = timezone.now()
    at = message.created_at if message is not None and message.created_at else now
    fields: dict[str, Any] = {}
    if event == TicketEvent.CREATED or "status" in changes:
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
    if not fields:
        return
    row = TicketClock(
        ticket_id=ticket.pk,
        status=fields.get("status", ticket.status),
        status_since=fields.get("status_since", ticket.updated_at or now),
        customer_message_at=fields.get("customer_message_at"),
        agent_reply_at=fields.get("agent_reply_at"),
    )
    # INSERT … ON CONFLICT DO UPDATE of only the moved fields: one statement, no race with a
    # concurrent write of the same ticket (that one holds the ticket row lock anyway).
    TicketClock.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=list(fields),
    )
