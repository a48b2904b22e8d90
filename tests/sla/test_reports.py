"""The scheduled report mail: last week's numbers to every manager and admin, in their own
language, once per period, with a catch-up after downtime and nothing before 08:00."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from helpdesk.celery import app as celery_app
from sla.models import ReportMailing
from sla.reports import due_periods, send_scheduled_reports
from sla.tasks import sla_scheduled_reports
from tests.factories import UserFactory
from tests.sla.conftest import TOKYO
from tests.sla.test_dashboards import measured

pytestmark = pytest.mark.django_db

MONDAY_9 = dt.datetime(2026, 6, 15, 9, 0, tzinfo=TOKYO)  # the week before: Jun 8–14


@pytest.fixture
def managers(db):
    return {
        "en": UserFactory(role="manager", name="Mika Manager", language="en"),
        "ja": UserFactory(role="admin", name="Ada Admin", language="ja"),
    }


def test_weekly_report_goes_to_managers_and_admins_once(managers, agent, settings):
    settings.SITE_URL = "https://help.example.jp"
    UserFactory(role="manager", is_active=False)
    UserFactory(role="light_agent", email="automation@madoguchi.invalid")
    day = dt.datetime(2026, 6, 10, 12, 0, tzinfo=TOKYO)
    measured(created=day, first_reply_at=day, first_reply_minutes=30)
    measured(created=day - dt.timedelta(days=7), first_reply_at=day, first_reply_minutes=90)

    assert send_scheduled_reports(now=MONDAY_9) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in managers.values())
    english = next(m for m in mail.outbox if m.to == [managers["en"].email])
    assert english.subject == "Weekly support report: 2026-06-08 – 2026-06-14"
    assert "New tickets: 1" in english.body
    assert "First reply, median: 30 min (−1 h vs previous period)" in english.body
    assert (
        "https://help.example.jp/dashboards/performance/?period=custom&since=2026-06-08"
        "&until=2026-06-14" in english.body
    )
    html, content_type = english.alternatives[0]
    assert content_type == "text/html" and "<table" in html and "Open the dashboard" in html
    assert english.extra_headers["Auto-Submitted"] == "auto-generated"
    japanese = next(m for m in mail.outbox if m.to == [managers["ja"].email])
    assert "2026年6月8日" in japanese.body  # in the admin's own language

    # The hourly beat runs again, and again: nothing twice.
    assert send_scheduled_reports(now=MONDAY_9 + dt.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 2
    assert ReportMailing.objects.count() == 2


def test_nothing_before_eight_and_a_catch_up_after_downtime(managers):
    assert send_scheduled_reports(now=MONDAY_9.replace(hour=7, minute=59)) == 0
    # The beat was down until Wednesday: last week's report still goes out.
    assert send_scheduled_reports(now=MONDAY_9 + dt.timedelta(days=2)) == 2
    # A week-old report is old news.
    ReportMailing.objects.all().delete()
    assert send_scheduled_reports(now=MONDAY_9 + dt.timedelta(days=5)) == 0


def test_monthly_report_at_the_start_of_a_month(managers):
    # Thursday 1 October: last week ended four days ago (old news), September just ended.
    [monthly] = due_periods(dt.date(2026, 10, 1))
    assert monthly.kind == "monthly"
    assert (monthly.first, monthly.last) == (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert {p.kind for p in due_periods(dt.date(2026, 6, 1))} == {"weekly", "monthly"}
    sent = send_scheduled_reports(now=dt.datetime(2026, 10, 1, 8, 0, tzinfo=TOKYO))
    assert sent == 2
    english = next(m for m in mail.outbox if m.to == [managers["en"].email])
    assert english.subject == "Monthly support report: 2026-09-01 – 2026-09-30"


def test_a_failed_send_is_not_marked_sent(managers, monkeypatch):
    def broken(self, fail_silently=False):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    assert send_scheduled_reports(now=MONDAY_9) == 0
    assert not ReportMailing.objects.exists()  # the next hour tries again
    monkeypatch.undo()
    assert send_scheduled_reports(now=MONDAY_9 + dt.timedelta(hours=1)) == 2


def test_beat_runs_the_task_hourly():
    entry = celery_app.conf.beat_schedule["sla-reports"]
    assert entry["task"] == sla_scheduled_reports.name
