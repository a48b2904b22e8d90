"""SLA test helpers: a movable clock, a Tokyo office calendar and a policy with known targets."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sla.models import BusinessCalendar, BusinessHours, PolicyTarget, SlaPolicy
from tickets import services
from tickets.inbound import IncomingMessage

TOKYO = ZoneInfo("Asia/Tokyo")
_ids = itertools.count(1)


def tokyo(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


class Clock:
    """What timezone.now() returns while a test runs; auto_now fields follow it too."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)

    def set(self, *args) -> dt.datetime:
        self.now = tokyo(*args)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock(tokyo(2026, 6, 10, 10, 0))  # a Wednesday
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture
def office(db):
    calendar = BusinessCalendar.objects.create(
        name="Tokyo", time_zone="Asia/Tokyo", holiday_country="JP", is_default=True
    )
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=day, start_minute=540, end_minute=1080)
        for day in range(5)
    )
    return calendar


TARGETS = {"first_reply": 60, "next_reply": 120, "periodic_update": 240, "resolution": 600}


def make_policy(name="Standard", position=100, calendar=None, targets=None, **fields) -> SlaPolicy:
    fields.setdefault("pause_statuses", ["pending"])
    fields.setdefault("periodic_update_statuses", ["on_hold"])
    policy = SlaPolicy.objects.create(name=name, position=position, calendar=calendar, **fields)
    for priority, per_metric in (targets or {"normal": TARGETS}).items():
        for metric, minutes in per_metric.items():
            PolicyTarget.objects.create(
                policy=policy, priority=priority, metric=metric, minutes=minutes
            )
    return policy


@pytest.fixture
def policy(office):
    return make_policy(calendar=office)


def customer_writes(text="問い合わせです", *, channel="email", handle=None, ticket=None):
    """A customer message through the real write path; returns the ticket, refreshed."""
    n = next(_ids)
    message = services.receive_message(
        IncomingMessage(
            channel=channel,
            identity_kind="email" if channel in ("email", "web") else channel,
            handle=handle or (ticket.identity.handle if ticket else f"sla-customer{n}@example.jp"),
            body_text=text,
            subject=f"Subject {n}",
            external_id=f"<sla-{n}@example.jp>",
            ticket_hint=ticket.pk if ticket else None,
        )
    )
    message.ticket.refresh_from_db()
    return message.ticket
