"""Follows ticket writes (tickets.signals.ticket_changed) to keep SLA clocks current.

`on_ticket_changed` takes one event (a single write); `on_ticket_changes` a list sent with
`tickets.signals.send_many` (a mail batch, chat follow-ups), set-wise (sla/batch.py) with the
same outcome. Both are connected in apps.py with `connect_batch`.
"""

from __future__ import annotations

from collections.abc import Sequence

from tickets.signals import TicketChange, TicketEvent

from . import rollups
from .batch import sla_record_events
from .services import sla_record_event


def on_ticket_changed(sender, *, ticket, event, actor=None, message=None, changes=None, **kwargs):
    # Internal notes change nothing for the customer; a note that also set a status arrives
    # with `changes`, and then the status move matters.
    if event == TicketEvent.INTERNAL_NOTE and not changes:
        return
    sla_record_event(
        ticket=ticket, event=event, actor_id=actor.pk if actor else None, message=message
    )
    # Rollups per tag count the tags a ticket carries now, and attainment per agent the
    # tickets an agent holds now: a change of either re-marks the hours the ticket counts in.
    changes = changes or {}
    if "tags" in changes or "assignee_id" in changes:
        rollups.mark_ticket_relabelled(ticket.pk, tags="tags" in changes)


def on_ticket_changes(changes: Sequence[TicketChange]) -> None:
    """The batch form of `on_ticket_changed` (internal notes and relabel marks included)."""
    sla_record_events(changes)
