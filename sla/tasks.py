"""Celery entry points (thin): the minute tick, re-applying policies after an edit, and the
hourly run that mails due weekly/monthly reports to managers."""

from __future__ import annotations

from celery import shared_task

from . import reports, services, tick


@shared_task
def sla_tick() -> dict[str, int]:
    return tick.sla_tick()


@shared_task
def sla_reapply_policies() -> int:
    return services.sla_refresh_open_tickets()


@shared_task
def sla_scheduled_reports() -> int:
    return reports.send_scheduled_reports()
