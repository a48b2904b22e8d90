"""Celery entry points (thin): the minute tick and re-applying policies after an edit."""

from __future__ import annotations

from celery import shared_task

from . import services, tick


@shared_task
def sla_tick() -> dict[str, int]:
    return tick.sla_tick()


@shared_task
def sla_reapply_policies() -> int:
    return services.sla_refresh_open_tickets()
