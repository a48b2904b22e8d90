"""Follows ticket writes (tickets.signals.ticket_changed) to keep SLA clocks current."""

from __future__ import annotations

from tickets.signals import TicketEvent

from .services import sla_record_event


def on_ticket_changed(sender, *, ticket, event, actor=None, message=None, changes=None, **kwargs):
    # Internal notes change nothing for the customer; a note that also set a status arrives
    # with `changes`, and then the status move matters.
    if event == TicketEvent.INTERNAL_NOTE and not changes:
        return
    sla_record_event(
        ticket=ticket, event=event, actor_id=actor.pk if actor else None, message=message
    )
