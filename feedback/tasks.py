"""Celery entry points: thin — look up due work and call the services."""

from __future__ import annotations

import logging

from celery import shared_task

from .services import followups, items, nps_sending, surveys

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def send_due_feedback() -> dict[str, int]:
    """Every minute (beat): surveys and follow-ups whose time has come, and any "you said, we
    did" message a lost task did not send. Each row is locked while it is sent, so two sweeps
    at once send nothing twice; one failing row does not stop the others."""
    counts = {"surveys": 0, "followups": 0, "items": 0}
    for survey_id in surveys.due_surveys():
        try:
            if surveys.send_survey(survey_id=survey_id):
                counts["surveys"] += 1
        except Exception:
            log.exception("survey %s could not be sent", survey_id)
    for followup_id in followups.due_followups():
        try:
            if followups.send_followup(followup_id=followup_id):
                counts["followups"] += 1
        except Exception:
            log.exception("follow-up %s could not be sent", followup_id)
    for item_id in items.items_with_pending_notifications():
        try:
            counts["items"] += items.notify_item_customers(item_id=item_id)
        except Exception:
            log.exception("feedback item %s: notifications failed", item_id)
    return counts


@shared_task(ignore_result=True)
def notify_feedback_item(item_id: int) -> int:
    return items.notify_item_customers(item_id=item_id)


@shared_task(ignore_result=True)
def send_nps_campaigns() -> int:
    """Every minute (beat): draw running NPS campaigns whose start has come and send each one's
    throttled share. A campaign is worked under its row lock, so an overlapping sweep skips it;
    one failing campaign does not stop the others."""
    sent = 0
    for campaign_id in nps_sending.running_campaigns():
        try:
            sent += nps_sending.process_campaign(campaign_id=campaign_id)
        except Exception:
            log.exception("NPS campaign %s: sending failed", campaign_id)
    return sent
