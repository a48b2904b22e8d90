"""Celery entry points (thin): the minute tick (and the rollup hours it rebuilds), re-applying policies after an edit, and the
hourly run that mails due weekly/monthly reports to managers."""

from __future__ import annotations

from celery import shared_task

from . import reports, rollups, services, tick


@shared_task
def sla_tick() -> dict[str, int]:
    # The dashboard rollups ride on the minute tick: the hours that events marked are rebuilt.
    return {**tick.sla_tick(), "rollup_hours": rollups.process_dirty_hours()}


@shared_task
def sla_process_rollups() -> int:
    return rollups.process_dirty_hours()


@shared_task
def sla_reapply_policies() -> int:
    return services.sla_refresh_open_tickets()


@shared_task
def sla_scheduled_reports() -> int:
    return reports.send_scheduled_reports()
