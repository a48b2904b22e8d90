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

Many events at once (`send_many`): a write path that files many messages in one transaction
(the mail batch, chat follow-ups) sends them as a list of `TicketChange`. A receiver whose work
is cheaper set-wise registers with `connect_batch(receiver, batch=..., dispatch_uid=...)`:
`receiver` follows single `ticket_changed.send` calls as before, and `batch(changes)` is called
once per `send_many`, first, with the whole list in order (it must give what calling `receiver`
for each event in turn gives). Then every event goes through `ticket_changed.send`, in order,
to every other receiver exactly as a single write sends it — plus `batched=True`, which only the
wrappers of batch receivers read (they skip it: the batch form already had it). A send a
receiver makes while handling such an event (an automation updating the ticket) is an ordinary
single send, so batch receivers follow it as one event.

Order: a batch receiver sees all the list's events before any other receiver sees the first.
Receivers of different tickets never observe the difference; for two events of one ticket in a
list, a later receiver (automations) of the first event sees the batch receiver's state after
both — the same final state, reached once instead of twice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.dispatch import Signal


class TicketEvent(StrEnum):
    CREATED = "created"  # a customer's first message opened the ticket (message is set)
    CUSTOMER_MESSAGE = "customer_message"  # the customer wrote again on an existing ticket
    AGENT_REPLY = "agent_reply"  # a public reply to the customer
    INTERNAL_NOTE = "internal_note"
    UPDATED = "updated"  # properties changed; see `changes`


ticket_changed = Signal()


@dataclass
class TicketChange:
    """One event of a `send_many` list: the arguments `ticket_changed` sends with it."""

    ticket: Any
    event: str
    actor: Any = None
    message: Any = None
    changes: dict = field(default_factory=dict)


BatchReceiver = Callable[[Sequence[TicketChange]], None]
_batch_forms: dict[str, BatchReceiver] = {}


def connect_batch(receiver: Callable, *, batch: BatchReceiver, dispatch_uid: str) -> None:
    """Follow `ticket_changed` with `receiver` and lists from `send_many` with `batch`.

    Disconnecting `dispatch_uid` from `ticket_changed` stops both."""

    @functools.wraps(receiver)
    def single(sender, *, batched: bool = False, **kwargs):
        if batched:  # `batch` had this event already
            return None
        return receiver(sender, **kwargs)

    _batch_forms[dispatch_uid] = batch
    ticket_changed.connect(single, dispatch_uid=dispatch_uid, weak=False)


def _connected(dispatch_uid: str) -> bool:
    with ticket_changed.lock:
        return any(entry[0][0] == dispatch_uid for entry in ticket_changed.receivers)


def send_many(changes: Sequence[TicketChange], *, sender: Any) -> None:
    """Send every event of `changes` (in order): batch receivers once, the others per event."""
    changes = list(changes)
    if not changes:
        return
    for dispatch_uid, batch in list(_batch_forms.items()):
        if _connected(dispatch_uid):
            batch(changes)
    for change in changes:
        ticket_changed.send(
            sender=sender,
            ticket=change.ticket,
            event=change.event,
            actor=change.actor,
            message=change.message,
            changes=change.changes,
            batched=True,
        )
