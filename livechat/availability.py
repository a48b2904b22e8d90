"""Can anybody answer a chat right now, and if not, when is the team back?

"Online" needs both: an agent whose inbox socket was heard from recently (`tickets.presence`,
kept in Redis so every web process agrees) and, when the sla app keeps a default business
calendar, its opening hours (with public holidays and closures). Outside hours the widget says
when the team is back; with hours open but nobody online it promises an answer by email.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from tickets import presence

log = logging.getLogger(__name__)


def _default_schedule():
    """The default business calendar's schedule, or None (no sla app, no calendar, no hours)."""
    if not apps.is_installed("sla"):
        return None
    from sla.models import BusinessCalendar  # lazy: livechat works without the sla app

    calendar = (
        BusinessCalendar.objects.filter(is_default=True)
        .prefetch_related("hours", "closures")
        .first()
    )
    if calendar is None or not calendar.hours.all():
        return None
    return calendar.schedule()


def next_opening(schedule: Any, now: datetime) -> datetime | None:
    """`now` itself when the calendar is open, else when it opens next (None: never)."""
    from sla.business_time import NoBusinessHours, add_business_minutes

    step = timedelta(seconds=1)
    try:
        # One business second after `now` ends one second after the opening it falls in.
        return add_business_minutes(schedule, now, step.total_seconds() / 60) - step
    except NoBusinessHours:
        return None


def team_availability(now: datetime | None = None) -> dict[str, Any]:
    """`{"online": bool, "back_at": ISO time or None}` for the widget."""
    now = now or timezone.now()
    back_at = None
    try:
        schedule = _default_schedule()
    except Exception:  # noqa: BLE001 - a broken calendar must not break the chat
        log.warning("livechat: the business calendar could not be read", exc_info=True)
        schedule = None
    if schedule is not None:
        opening = next_opening(schedule, now)
        if opening is None or opening > now + timedelta(seconds=1):
            return {"online": False, "back_at": opening.isoformat() if opening else None}
    online = bool(presence.agents_online())
    return {"online": online, "back_at": back_at}
