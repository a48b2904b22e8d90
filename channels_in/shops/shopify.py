"""Shopify: `orders/*` webhooks (HMAC-signed) and backfill through the Admin REST API.

Webhooks: the body is signed with the app's client secret, base64 HMAC-SHA256 in
X-Shopify-Hmac-Sha256; X-Shopify-Webhook-Id is the same on every retry of one delivery, so it
is the idempotency key. Backfill: GET /admin/api/<version>/orders.json?status=any&limit=250
with X-Shopify-Access-Token, following the `Link: <…>; rel="next"` header page by page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from django.utils import timezone

from customers.models import ShopConnection, ShopPlatform
from customers.orders import ItemValues, OrderValues, order_upsert
from customers.shops import shop_connection_secret

from ..models import InboundEvent, OutboundDelivery
from ..registry import MalformedPayload, PermanentDeliveryError
from . import http
from .common import (
    connection_for,
    customer_for,
    datetime_of,
    decimal_of,
    person_name,
    store_and_process,
)

KIND = "shopify"
ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/cancelled",
        "orders/edited",
    }
)
PAGE_LIMIT = 250
MAX_PAGES = 2000  # 500,000 orders; a loop in someone's Link header ends here
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def signature_valid(connection: ShopConnection, body: bytes, signature: str) -> bool:
    secret = shop_connection_secret(connection, "secret")
    if not secret or not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())


class ShopifyAdapter:
    kind = KIND

    def parse(self, event: InboundEvent) -> list:
        """Upsert the order (webhook) or the page of orders (backfill); no ticket messages."""
        connection = connection_for(event, ShopPlatform.SHOPIFY)
        try:
            body = json.loads(bytes(event.payload))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedPayload(f"the body is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise MalformedPayload("the body is not a JSON object")
        orders = body["orders"] if isinstance(body.get("orders"), list) else [body]
        for order in orders:
            upsert_order(connection, order)
        return []

    def deliver(self, delivery: OutboundDelivery) -> str:
        raise PermanentDeliveryError("shops receive orders; nothing is sent to them")


def upsert_order(connection: ShopConnection, order: dict) -> None:
    if not isinstance(order, dict) or order.get("id") in (None, ""):
        raise MalformedPayload("an order without an id")
    customer = order.get("customer") or {}
    address = order.get("billing_address") or order.get("shipping_address") or {}
    name = person_name(
        customer.get("first_name") or address.get("first_name"),
        customer.get("last_name") or address.get("last_name"),
    )
    owner = customer_for(
        email=order.get("email") or order.get("contact_email") or customer.get("email"),
        phone=order.get("phone") or customer.get("phone") or address.get("phone"),
        name=name,
    )
    order_upsert(customer=owner, source=connection.source, values=order_values(order))


def order_values(order: dict) -> OrderValues:
    items = order.get("line_items") or []
    if not isinstance(items, list):
        raise MalformedPayload("line_items is not a list")
    tracked = [f for f in order.get("fulfillments") or [] if isinstance(f, dict)]
    shipment = next((f for f in reversed(tracked) if f.get("tracking_number")), None) or (
        tracked[-1] if tracked else {}
    )
    status = "cancelled" if order.get("cancelled_at") else order.get("financial_status") or ""
    return OrderValues(
        external_id=str(order["id"]),
        number=str(order.get("name") or order.get("order_number") or order["id"])[:100],
        ordered_at=datetime_of(order.get("created_at"), "created_at"),
        status=str(status)[:40],
        total=decimal_of(order.get("total_price", 0), "total_price"),
        currency=str(order.get("currency") or "JPY")[:3],
        shipping_status=str(
            shipment.get("shipment_status") or order.get("fulfillment_status") or "unfulfilled"
        )[:60],
        carrier=str(shipment.get("tracking_company") or "")[:100],
        tracking_number=str(shipment.get("tracking_number") or "")[:100],
        tracking_url=str(shipment.get("tracking_url") or "")[:200],
        source_updated_at=(
            datetime_of(order["updated_at"], "updated_at") if order.get("updated_at") else None
        ),
        items=[
            ItemValues(
                name=str(item.get("name") or item.get("title") or "")[:300],
                sku=str(item.get("sku") or "")[:100],
                quantity=max(int(item.get("quantity") or 1), 0),
                price=decimal_of(item.get("price", 0), "line item price"),
            )
            for item in items
            if isinstance(item, dict)
        ],
    )


# --- Admin REST API -----------------------------------------------------------------------
def _api(connection: ShopConnection, path: str) -> str:
    return f"{connection.api_base_url.rstrip('/')}/admin/api/{connection.api_version}/{path}"


def _headers(connection: ShopConnection) -> dict[str, str]:
    return {
        "X-Shopify-Access-Token": shop_connection_secret(connection, "access_token"),
        "Accept": "application/json",
    }


def next_page_url(connection: ShopConnection, link_header: str) -> str | None:
    """The rel="next" URL, only when it stays on the shop's own API host."""
    match = _NEXT_LINK.search(link_header or "")
    if not match:
        return None
    url = match.group(1)
    return url if url.startswith(connection.api_base_url.rstrip("/") + "/") else None


class ShopifyClient:
    def check(self, connection: ShopConnection) -> str:
        response = http.request("GET", _api(connection, "shop.json"), headers=_headers(connection))
        if response.status_code != 200:
            raise http.ShopUnavailable(f"HTTP {response.status_code}: {response.text[:300]}")
        shop = http.json_body(response).get("shop") or {}
        return str(shop.get("name") or connection.name)

    def start_sync(self, connection: ShopConnection) -> None:
        from .tasks import sync_shop

        sync_shop.delay(connection.pk)


def backfill(connection: ShopConnection) -> int:
    """Every order of the shop, page by page; each page stored raw, then upserted. Returns the
    number of orders seen. Repeating it is harmless (pages are keyed by their content)."""
    url: str | None = _api(connection, f"orders.json?status=any&limit={PAGE_LIMIT}")
    seen = 0
    for _page in range(MAX_PAGES):
        if url is None:
            break
        response = http.request("GET", url, headers=_headers(connection))
        if response.status_code != 200:
            raise http.ShopUnavailable(f"HTTP {response.status_code}: {response.text[:300]}")
        orders = http.json_body(response).get("orders")
        if not isinstance(orders, list):
            raise http.ShopUnavailable("the orders page has no orders list")
        event = store_and_process(
            kind=KIND,
            connection=connection,
            payload=response.content,
            key=f"{connection.key}:page:{hashlib.sha256(response.content).hexdigest()}",
            headers={"topic": "backfill", "url": url},
        )
        if event.status == "failed":
            raise http.ShopUnavailable(f"a page of orders could not be stored: {event.error}")
        seen += len(orders)
        url = next_page_url(connection, response.headers.get("Link", ""))
    connection.last_sync_at = timezone.now()
    connection.last_error = ""
    connection.save(update_fields=["last_sync_at", "last_error"])
    return seen
