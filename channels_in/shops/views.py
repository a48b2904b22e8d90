"""Shop webhooks: verify, store raw, answer fast. Parsing happens in the worker."""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from customers.models import ShopConnection, ShopPlatform

from ..services import payload_key, record_inbound
from . import shopify

log = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 5 * 1024 * 1024


@csrf_exempt
@require_POST
def shopify_webhook(request: HttpRequest, account_id: str) -> JsonResponse:
    connection = ShopConnection.objects.filter(
        key=account_id, platform=ShopPlatform.SHOPIFY, active=True
    ).first()
    if connection is None:
        return JsonResponse({"error": "unknown shop connection"}, status=404)
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    body = request.body
    if not shopify.signature_valid(
        connection, body, request.headers.get("X-Shopify-Hmac-Sha256", "")
    ):
        log.warning("shopify webhook for connection %s: bad signature", connection.pk)
        return JsonResponse({"error": "invalid signature"}, status=401)
    topic = request.headers.get("X-Shopify-Topic", "")
    if topic not in shopify.ORDER_TOPICS:
        # Subscribed to more than orders: acknowledged so Shopify stops retrying, not stored.
        return JsonResponse({"ignored": topic or "no topic"})
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
    event, created = record_inbound(
        kind=shopify.KIND,
        payload=body,
        idempotency_key=f"{connection.key}:{webhook_id}" if webhook_id else payload_key(body),
        headers={
            "topic": topic,
            "shop_domain": request.headers.get("X-Shopify-Shop-Domain", ""),
            "webhook_id": webhook_id,
            "api_version": request.headers.get("X-Shopify-API-Version", ""),
            "triggered_at": request.headers.get("X-Shopify-Triggered-At", ""),
        },
        account_id=connection.key,
    )
    try:
        json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        # Kept raw (the worker marks it failed with the reason); the sender hears why.
        return JsonResponse(
            {"error": f"the body is not JSON: {exc}", "event": event.pk}, status=400
        )
    return JsonResponse({"ok": True, "event": event.pk, "duplicate": not created})
