"""Celery entry points of the customers app: thin, the rules are in the services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from .data_requests import personal_data_expire

log = logging.getLogger(__name__)


@shared_task(name="customers.tasks.expire_personal_data", ignore_result=True)
def expire_personal_data() -> None:
    """Beat, daily: redact solved conversations older than the retention limit.

    `RETENTION_DAYS` (environment) sets the limit; 0 or unset keeps everything.
    """
    days = int(getattr(settings, "RETENTION_DAYS", 0) or 0)
    counts = personal_data_expire(days=days)
    if counts:
        log.info("retention (%s days): %s", days, counts)
