"""BASE (thebase.in): orders by polling the BASE API with an OAuth 2.0 token.

BASE has no order webhooks, so beat polls: `GET /1/orders` (start_ordered, limit ≤ 100,
offset) lists orders with their `modified` time; only orders whose (unique_key, modified) is
new are fetched with `GET /1/orders/detail/:unique_key` and stored raw, then upserted. Tokens
are Bearer access tokens that expire (an hour); `POST /1/oauth/token` with
grant_type=refresh_token gives a new pair. Errors come back as JSON
`{"error": …, "error_description": …}`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from customers.models import ShopConnection, ShopPlatform
from customers.orders import ItemValues, OrderValues, order_upsert
from customers.shops import shop_connection_secret, shop_connection_tokens_store

from ..models import InboundEvent, InboundStatus, OutboundDelivery
from ..registry import MalformedPayload, PermanentDeliveryError
from . import http
from .common import connection_for, customer_for, decimal_of, person_name, store_and_process

KIND = "base"
PAGE_LIMIT = 100
MAX_PAGES = 500
FIRST_SYNC_DAYS = 365
# Orders change after they are placed (paid, dispatched): each poll looks this far back.
LOOKBACK_DAYS = 60
SHOP_TIME = ZoneInfo("Asia/Tokyo")  # BASE reads start_ordered in Japan time
_UNIQUE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")  # it goes into a URL path
_TOKEN_ERRORS = frozenset({"invalid_token", "invalid_request", "invalid_grant"})


class BaseAdapter:
    kind = KIND

    def parse(self, event: InboundEvent) -> list:
        connection = connection_for(event, ShopPlatform.BASE)
        try:
            body = json.loads(bytes(event.payload))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedPayload(f"the body is not JSON: {exc}") from exc
        order = body.get("order") if isinstance(body, dict) else None
        if not isinstance(order, dict) or not order.get("unique_key"):
            raise MalformedPayload("the body has no order with a unique_key")
        owner = customer_for(
            email=order.get("mail_address"),
            phone=order.get("tel"),
            name=person_name(order.get("first_name"), order.get("last_name")),
        )
        order_upsert(customer=owner, source=connection.source, values=order_values(order))
        return []

    def deliver(self, delivery: OutboundDelivery) -> str:
        raise PermanentDeliveryError("shops receive orders; nothing is sent to them")


def order_values(order: dict) -> OrderValues:
    try:
        ordered_at = datetime.fromtimestamp(int(order["ordered"]), tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise MalformedPayload(f"ordered {order.get('ordered')!r} is not a timestamp") from exc
    items = order.get("order_items") or []
    if not isinstance(items, list):
        raise MalformedPayload("order_items is not a list")
    items = [item for item in items if isinstance(item, dict)]
    shipped = next((i for i in items if i.get("tracking_number")), {})
    dispatch = str(order.get("dispatch_status") or "")
    return OrderValues(
        external_id=str(order["unique_key"])[:100],
        number=str(order["unique_key"])[:100],
        ordered_at=ordered_at,
        status="cancelled" if order.get("cancelled") else dispatch[:40],
        total=decimal_of(order.get("total", 0), "total"),
        currency="JPY",
        shipping_status=dispatch[:60],
        carrier=str(order.get("shipping_method") or shipped.get("shipping_method") or "")[:100],
        tracking_number=str(shipped.get("tracking_number") or "")[:100],
        source_updated_at=_modified_at(order.get("modified")),
        items=[
            ItemValues(
                name=" ".join(str(p) for p in (item.get("title"), item.get("variation")) if p)[:300]
                or "-",
                sku=str(item.get("item_identifier") or item.get("item_id") or "")[:100],
                quantity=max(int(item.get("amount") or 1), 0),
                price=decimal_of(item.get("price", 0), "item price"),
            )
            for item in items
        ],
    )


def _modified_at(value) -> datetime | None:
    """BASE's `modified` (Unix seconds): when the order last changed there, if it says."""
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise MalformedPayload(f"modified {value!r} is not a timestamp") from exc


# --- API ----------------------------------------------------------------------------------
def _url(connection: ShopConnection, path: str) -> str:
    return f"{connection.api_base_url.rstrip('/')}/1/{path}"


def refresh_token(connection: ShopConnection) -> str:
    refresh = shop_connection_secret(connection, "refresh_token")
    if not refresh:
        raise http.ShopAuthError("the access token expired and no refresh token is stored")
    response = http.request(
        "POST",
        _url(connection, "oauth/token"),
        data={
            "grant_type": "refresh_token",
            "client_id": connection.client_id,
            "client_secret": shop_connection_secret(connection, "secret"),
            "refresh_token": refresh,
            "redirect_uri": connection.redirect_uri,
        },
    )
    body = http.json_body(response)
    if response.status_code != 200 or not body.get("access_token"):
        raise http.ShopAuthError(
            f"token refresh refused: {body.get('error', response.status_code)} "
            f"{body.get('error_description', '')}".strip()
        )
    expires = timezone.now() + timedelta(seconds=int(body.get("expires_in") or 3600))
    shop_connection_tokens_store(
        connection,
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token", ""),
        expires_at=expires,
    )
    return body["access_token"]


def _get(connection: ShopConnection, path: str, params: dict | None = None) -> dict:
    """GET with the Bearer token, refreshing it once when it expired or was refused."""
    token = shop_connection_secret(connection, "access_token")
    expired = connection.token_expires_at and connection.token_expires_at <= timezone.now()
    if not token or expired:
        token = refresh_token(connection)
    for attempt in range(2):
        try:
            response = http.request(
                "GET",
                _url(connection, path),
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except http.ShopAuthError:
            if attempt or not connection.refresh_token_encrypted:
                raise
            token = refresh_token(connection)
            continue
        body = http.json_body(response)
        if response.status_code == 200:
            return body
        error = str(body.get("error") or "")
        if error.endswith("_api_limit"):
            raise http.ShopUnavailable(f"rate limited: {body.get('error_description', error)}")
        if error in _TOKEN_ERRORS and not attempt and connection.refresh_token_encrypted:
            token = refresh_token(connection)
            continue
        raise http.ShopAuthError(
            f"HTTP {response.status_code}: {error} {body.get('error_description', '')}".strip()
        )
    raise http.ShopAuthError("the refreshed token was refused too")


class BaseClient:
    def check(self, connection: ShopConnection) -> str:
        user = _get(connection, "users/me").get("user") or {}
        return str(user.get("shop_name") or user.get("shop_id") or connection.name)

    def start_sync(self, connection: ShopConnection) -> None:
        from .tasks import sync_shop

        sync_shop.delay(connection.pk)


def poll(connection: ShopConnection, *, now: datetime | None = None) -> int:
    """Store and upsert orders that are new or changed since they were last seen."""
    now = now or timezone.now()
    since = (connection.synced_until or now - timedelta(days=FIRST_SYNC_DAYS)) - timedelta(
        days=LOOKBACK_DAYS if connection.synced_until else 0
    )
    start = since.astimezone(SHOP_TIME).strftime("%Y-%m-%d %H:%M:%S")
    changed = 0
    for page in range(MAX_PAGES):
        orders = _get(
            connection,
            "orders",
            {"start_ordered": start, "limit": PAGE_LIMIT, "offset": page * PAGE_LIMIT},
        ).get("orders")
        if not isinstance(orders, list):
            raise http.ShopUnavailable("the orders list has no orders")
        for summary in orders:
            if isinstance(summary, dict) and summary.get("unique_key"):
                changed += _fetch_if_changed(connection, summary)
        if len(orders) < PAGE_LIMIT:
            break
    connection.synced_until = now
    connection.last_sync_at = now
    connection.last_error = ""
    connection.save(update_fields=["synced_until", "last_sync_at", "last_error"])
    return changed


def _fetch_if_changed(connection: ShopConnection, summary: dict) -> int:
    if not _UNIQUE_KEY.fullmatch(str(summary["unique_key"])):
        raise http.ShopUnavailable(f"unexpected unique_key {summary['unique_key']!r}")
    key = f"{connection.key}:{summary['unique_key']}:{summary.get('modified', '')}"
    seen = InboundEvent.objects.filter(kind=KIND, idempotency_key=key).first()
    if seen is not None and seen.status == InboundStatus.PROCESSED:
        return 0
    detail = _get(connection, f"orders/detail/{summary['unique_key']}")
    store_and_process(
        kind=KIND,
        connection=connection,
        payload=json.dumps(detail, ensure_ascii=False).encode(),
        key=key,
        headers={"topic": "orders/detail", "unique_key": str(summary["unique_key"])},
    )
    return 1
