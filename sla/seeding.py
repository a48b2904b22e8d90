"""Default SLA set-up for new installs and the demo: a Tokyo calendar and two policies."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import BusinessCalendar, BusinessHours, Closure, Metric, PolicyTarget, SlaPolicy
from .services import sla_refresh_open_tickets

WEEKDAY_HOURS = [(540, 1080)]  # 09:00-18:00, Monday to Friday

# Business minutes per (priority, metric): mail within a working day, chat and social in minutes.
STANDARD_TARGETS = {
    "urgent": {"first_reply": 60, "next_reply": 120, "resolution": 8 * 60},
    "high": {"first_reply": 4 * 60, "next_reply": 4 * 60, "resolution": 2 * 9 * 60},
    "normal": {"first_reply": 8 * 60, "next_reply": 8 * 60, "resolution": 5 * 9 * 60},
    "low": {"first_reply": 2 * 9 * 60, "next_reply": 2 * 9 * 60, "resolution": 10 * 9 * 60},
}
MESSAGING_TARGETS = {
    "urgent": {"first_reply": 5, "next_reply": 5, "resolution": 4 * 60},
    "high": {"first_reply": 10, "next_reply": 10, "resolution": 8 * 60},
    "normal": {"first_reply": 15, "next_reply": 15, "resolution": 9 * 60},
    "low": {"first_reply": 30, "next_reply": 30, "resolution": 2 * 9 * 60},
}
MESSAGING_CHANNELS = ["chat", "line", "messenger", "instagram", "whatsapp", "telegram", "sms", "x"]


def seed_default_sla() -> None:
    """Idempotent: creates what is missing, never overwrites an admin's edits."""
    with transaction.atomic():
        calendar = _tokyo_calendar()
        _policy(_("Chat and messaging"), 10, calendar, MESSAGING_TARGETS, MESSAGING_CHANNELS)
        _policy(_("Standard"), 100, calendar, STANDARD_TARGETS, [])
    sla_refresh_open_tickets(include_unmeasured=True)


def _tokyo_calendar() -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is not None:
        return calendar
    calendar, created = BusinessCalendar.objects.get_or_create(
        name=_("Tokyo office"),
        defaults={"time_zone": "Asia/Tokyo", "holiday_country": "JP", "is_default": True},
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=calendar, weekday=day, start_minute=start, end_minute=end)
            for day in range(5)
            for start, end in WEEKDAY_HOURS
        )
        # Most Japanese companies close over the year-end and New Year (年末年始).
        year = timezone.localdate().year
        for first in (dt.date(year, 12, 29), dt.date(year + 1, 12, 29)):
            for offset in range(6):
                Closure.objects.get_or_create(
                    calendar=calendar,
                    date=first + dt.timedelta(days=offset),
                    defaults={"name": _("Year-end holidays")},
                )
    return calendar


def _policy(name, position, calendar, targets, channels) -> SlaPolicy:
    policy, created = SlaPolicy.objects.get_or_create(
        name=name,
        defaults={
            "position": position,
            "calendar": calendar,
            "channels": channels,
            "pause_statuses": ["pending"],
            "periodic_update_statuses": ["on_hold"],
        },
    )
    if created:
        PolicyTarget.objects.bulk_create(
            PolicyTarget(policy=policy, priority=priority, metric=metric, minutes=minutes)
            for priority, per_metric in targets.items()
            for metric, minutes in per_metric.items()
        )
        PolicyTarget.objects.bulk_create(
            PolicyTarget(
                policy=policy, priority=priority, metric=Metric.PERIODIC_UPDATE, minutes=9 * 60
            )
            for priority in targets
        )
    return policy
