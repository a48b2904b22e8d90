"""Scheduled report mail: last week's (and last month's) numbers to every manager and admin.

The beat runs this hourly. Each (kind, period, recipient) is claimed by a ReportMailing row in
the same transaction that sends the mail, so a run that repeats sends nothing twice, a failed
send is tried again an hour later, and a beat that was down on Monday still sends the weekly
report — up to CATCH_UP_DAYS late, after which the period is old news and is skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from helpdesk.models import Role, User

from . import selectors
from .models import ReportKind, ReportMailing

log = logging.getLogger(__name__)

CATCH_UP_DAYS = 3
# Hour of the helpdesk's own day (TIME_ZONE) from which a new period's report goes out: the
# beat runs hourly, so Monday's weekly report arrives shortly after 08:00, not at midnight.
SEND_HOUR = 8


@dataclass(frozen=True)
class ReportPeriod:
    kind: str
    first: dt.date
    last: dt.date  # inclusive

    def as_period(self) -> selectors.Period:
        zone = timezone.get_default_timezone()
        since = dt.datetime.combine(self.first, dt.time(0), tzinfo=zone)
        until = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return selectors.Period(since=since, until=until)


def due_periods(today: dt.date) -> list[ReportPeriod]:
    """Last full week (Monday–Sunday) and last calendar month, while still fresh."""
    week_first = today - dt.timedelta(days=today.weekday() + 7)
    week = ReportPeriod(ReportKind.WEEKLY, week_first, week_first + dt.timedelta(days=6))
    month_last = today.replace(day=1) - dt.timedelta(days=1)
    month = ReportPeriod(ReportKind.MONTHLY, month_last.replace(day=1), month_last)
    return [p for p in (week, month) if (today - p.last).days <= CATCH_UP_DAYS]


def report_recipients() -> list[User]:
    # Automation accounts live on the reserved .invalid domain: mail there cannot arrive.
    return list(
        User.objects.filter(is_active=True, role__in=[Role.MANAGER, Role.ADMIN])
        .exclude(email="")
        .exclude(email__iendswith=".invalid")
        .order_by("pk")
    )


def report_day(now: dt.datetime) -> dt.date:
    """The day whose due reports may go out at `now`: before SEND_HOUR, still yesterday."""
    local = timezone.localtime(now, timezone.get_default_timezone())
    return local.date() if local.hour >= SEND_HOUR else local.date() - dt.timedelta(days=1)


def send_scheduled_reports(*, now: dt.datetime | None = None) -> int:
    """Mail every due report to every manager who has not had it yet; returns mails sent."""
    today = report_day(now or timezone.now())
    recipients = report_recipients()
    sent = 0
    for due in due_periods(today):
        report = None
        for user in recipients:
            try:
                with transaction.atomic():
                    _row, created = ReportMailing.objects.get_or_create(
                        kind=due.kind, period_start=due.first, recipient=user
                    )
                    if not created:
                        continue
                    if report is None:  # computed once per period, only when someone needs it
                        report = selectors.performance_report(due.as_period())
                    report_mail(due, report, user).send()
            except OSError:  # SMTP refused or unreachable: unclaimed, tried again next hour
                log.warning("SLA %s report to user %s not sent", due.kind, user.pk, exc_info=True)
                continue
            sent += 1
    if sent:
        log.info("SLA reports mailed: %s", sent)
    return sent


def report_mail(due: ReportPeriod, report: dict, user: User) -> EmailMultiAlternatives:
    query = urlencode(
        {"period": "custom", "since": due.first.isoformat(), "until": due.last.isoformat()}
    )
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "due": due,
            "weekly": due.kind == ReportKind.WEEKLY,
            "report": report,
            "o": report["overall"],
            "changes": report["changes"],
            "user": user,
            "url": f"{settings.SITE_URL}{reverse('sla:performance')}?{query}",
        }
        if due.kind == ReportKind.WEEKLY:
            title = _("Weekly support report: %(first)s – %(last)s")
        else:
            title = _("Monthly support report: %(first)s – %(last)s")
        subject = title % {"first": due.first.isoformat(), "last": due.last.isoformat()}
        text = render_to_string("sla/email/report.txt", context)
        html = render_to_string("sla/email/report.html", context)
    mail = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    mail.attach_alternative(html, "text/html")
    mail.extra_headers["Auto-Submitted"] = "auto-generated"  # RFC 3834: nobody should answer
    return mail
