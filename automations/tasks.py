"""Celery entry points: thin calls into auto_reply and webhooks."""

from __future__ import annotations

from celery import shared_task

from . import auto_reply, timed, webhooks


@shared_task(ignore_result=True)
def send_auto_reply(automation_id: int, ticket_id: int, message_id: int | None) -> None:
    auto_reply.send_auto_reply(
        automation_id=automation_id, ticket_id=ticket_id, message_id=message_id
    )


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    webhooks.deliver(delivery_id)


@shared_task(ignore_result=True)
def retry_due_webhooks() -> None:
    """Beat: deliveries whose backoff has passed, and queued ones whose first task was lost."""
    for delivery_id in webhooks.deliveries_due():
        deliver_webhook.delay(delivery_id)


@shared_task(ignore_result=True)
def run_time_automations() -> None:
    """Beat, every minute: time automations ("solved for 4 days", "SLA due within 30 min")."""
    timed.run_time_automations()
