"""The ticket properties whose changes `ticket_changed` reports, shared by every write path."""

from __future__ import annotations

from .models import Ticket

TRACKED_FIELDS = ("status", "priority", "assignee_id", "team_id")


def tracked(ticket: Ticket) -> dict[str, object]:
    return {field: getattr(ticket, field) for field in TRACKED_FIELDS}


def changes(before: dict[str, object], ticket: Ticket) -> dict[str, tuple[object, object]]:
    """{field: (old, new)} of the tracked fields that differ now: what ticket_changed carries."""
    return {
        field: (old, getattr(ticket, field))
        for field, old in before.items()
        if getattr(ticket, field) != old
    }
