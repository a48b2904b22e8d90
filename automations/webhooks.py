"""Outbound webhooks: signed POSTs, each a WebhookDelivery row retried with backoff.

Signature: `X-Madoguchi-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the
endpoint's secret, `X-Madoguchi-Timestamp` the Unix time it was made (receivers reject old
ones to stop replays). Slack incoming webhooks ignore the headers and show `text`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import httpx
from django.db import transaction
from django.utils import timezone

from .models import DeliveryStatus, WebhookDelivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
TIMEOUT = 10.0
BASE_BACKOFF = 30  # seconds; doubles each attempt: 30 s, 1 min, 2 min, 4 min, 8 min


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BASE_BACKOFF * 2 ** max(attempts - 1, 0))


def deliver(delivery_id: int) -> WebhookDelivery:
    """Make one attempt unless the delivery is already settled; record what happened."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:  # another worker holds it right now
            return WebhookDelivery.objects.get(pk=delivery_id)
        if delivery.status == DeliveryStatus.SENT or (
            delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
        ):
            return delivery
        delivery.attempts += 1
        body = json.dumps(delivery.payload, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Madoguchi-Webhook/1",
            "X-Madoguchi-Timestamp": timestamp,
            "X-Madoguchi-Signature": sign(delivery.endpoint.secret, timestamp, body),
            "X-Madoguchi-Delivery": str(delivery.pk),
        }
        retry = True
        try:
            response = httpx.post(
                delivery.endpoint.url, content=body, headers=headers, timeout=TIMEOUT
            )
        except httpx.HTTPError as exc:
            delivery.response_status = None
            delivery.error = f"{exc.__class__.__name__}: {exc}"[:1000]
        else:
            delivery.response_status = response.status_code
            if response.is_success:
                delivery.status = DeliveryStatus.SENT
                delivery.sent_at = timezone.now()
                delivery.error = ""
                delivery.next_attempt_at = None
                delivery.save()
                return delivery
            delivery.error = f"HTTP {response.status_code}: {response.text[:300]}"[:1000]
            # A refused request (bad URL or token, gone channel) fails the same way again;
            # only throttling and server trouble are worth another try.
            retry = response.status_code in (408, 425, 429) or response.status_code >= 500
        delivery.status = DeliveryStatus.FAILED
        if retry and delivery.attempts < MAX_ATTEMPTS:
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        else:
            delivery.next_attempt_at = None
        log.warning(
            "webhook delivery %s failed (attempt %s): %s",
            delivery.pk,
            delivery.attempts,
            delivery.error,
        )
        delivery.save()
    return delivery


def deliveries_due(limit: int = 100) -> list[int]:
    """Failed deliveries whose backoff has passed, and queued ones whose task was lost."""
    now = timezone.now()
    failed = WebhookDelivery.objects.filter(
        status=DeliveryStatus.FAILED, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    lost = WebhookDelivery.objects.filter(
        status=DeliveryStatus.QUEUED, created_at__lte=now - timedelta(minutes=2)
    ).values_list("pk", flat=True)[:limit]
    return [*failed, *lost]
