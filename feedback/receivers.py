"""Follow ticket status changes: solved schedules the survey and follow-up, reopened cancels.

Runs inside the ticket write's transaction (see tickets/signals.py) and only writes rows; the
sending happens later from the beat sweep.
"""

from __future__ import annotations

from typing import Any

from tickets.models import Ticket

from .services import followups, surveys
from .services.common import RESOLVED_STATUSES


def on_ticket_changed(
    sender: Any, *, ticket: Ticket, changes: dict[str, tuple[Any, Any]], **kwargs: Any
) -> None:
    status = changes.get("status") if changes else None
    if not status:
        return
    old, new = status
    if new in RESOLVED_STATUSES and old not in RESOLVED_STATUSES:
        surveys.schedule_survey(ticket=ticket)
        followups.schedule_after_solve(ticket=ticket)
    elif old in RESOLVED_STATUSES and new not in RESOLVED_STATUSES:
        surveys.cancel_survey(ticket=ticket)
        followups.cancel_after_solve(ticket=ticket)
