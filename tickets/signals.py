"""Ticket events that other apps follow without `tickets` importing them.

`tickets.services` sends `ticket_changed` inside the write's transaction, after the ticket row
is saved. Receivers (SLA clocks, CSAT surveys, notifications) may write rows in the same
transaction; anything that talks to the network or the channel layer must wait for commit
(`transaction.on_commit`). A receiver that raises rolls the whole write back, so keep them small.

Arguments sent with every event:
- `ticket`: the saved Ticket
- `event`: one of TicketEvent
- `actor`: the staff User who did it, or None (customer or system)
- `message`: the Message for message events, else None
- `changes`: {field: (old, new)} for `updated` (status, priority, assignee_id, team_id, tags)
"""

from __future__ import annotations

from enum import StrEnum

from django.dispatch import Signal


class TicketEvent(StrEnum):
    CREATED = "created"  # a customer's first message opened the ticket (message is set)
    CUSTOMER_MESSAGE = "customer_message"  # the customer wrote again on an existing ticket
    AGENT_REPLY = "agent_reply"  # a public reply to the customer
    INTERNAL_NOTE = "internal_note"
    UPDATED = "updated"  # properties changed; see `changes`


ticket_changed = Signal()
