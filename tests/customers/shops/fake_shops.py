"""Local HTTP servers that follow the Shopify Admin REST API and the BASE API contracts
closely enough to test the connectors over real HTTP: auth headers, JSON shapes, Link-header
pagination (Shopify), offset pagination and OAuth refresh (BASE), 401 and 429 answers."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

API_VERSION = "2025-01"


def shopify_order(
    order_id: int,
    email: str,
    *,
    name: str = "",
    total: str = "5800.00",
    tracking: str = "",
    **extra,
) -> dict:
    """An order as Shopify's webhooks and Admin API send it (the fields the connector reads)."""
    order = {
        "id": order_id,
        "name": name or f"#{1000 + order_id % 1000}",
        "order_number": 1000 + order_id % 1000,
        "email": email,
        "phone": None,
        "created_at": "2026-11-20T14:30:00+09:00",
        "updated_at": "2026-11-20T15:00:00+09:00",
        "currency": "JPY",
        "total_price": total,
        "financial_status": "paid",
        "fulfillment_status": "fulfilled" if tracking else None,
        "cancelled_at": None,
        "customer": {
            "id": 207119551,
            "email": email,
            "first_name": "太郎",
            "last_name": "山田",
            "phone": "+819012345678",
        },
        "line_items": [
            {
                "id": 1,
                "title": "有田焼マグカップ",
                "name": "有田焼マグカップ - 白",
                "sku": "MUG-1",
                "quantity": 2,
                "price": "1500.00",
            },
            {
                "id": 2,
                "title": "トートバッグ",
                "name": "トートバッグ",
                "sku": "BAG-2",
                "quantity": 1,
                "price": "2800.00",
            },
        ],
        "fulfillments": [
            {
                "id": 9,
                "status": "success",
                "tracking_company": "ヤマト運輸",
                "tracking_number": tracking,
                "tracking_url": f"https://track.example/{tracking}",
                "shipment_status": "in_transit",
            }
        ]
        if tracking
        else [],
    }
    order.update(extra)
    return order


def base_order(unique_key: str, email: str, *, modified: int = 1763600000, **extra) -> dict:
    """An order as BASE's /1/orders/detail returns it."""
    order = {
        "unique_key": unique_key,
        "ordered": 1763598000,
        "cancelled": None,
        "dispatched": 1763600000,
        "payment": "creditcard",
        "shipping_method": "ヤマト運輸",
        "shipping_fee": 500,
        "total": 3700,
        "first_name": "花子",
        "last_name": "佐藤",
        "mail_address": email,
        "tel": "03-1234-5678",
        "terminated": True,
        "dispatch_status": "dispatched",
        "modified": modified,
        "order_items": [
            {
                "order_item_id": 123,
                "item_id": 1000,
                "title": "Tシャツ",
                "variation": "サイズM",
                "price": 1600,
                "amount": 2,
                "total": 3200,
                "status": "dispatched",
                "tracking_number": "4444-5555-6666",
                "modified": modified,
            },
        ],
    }
    order.update(extra)
    return order


@dataclass
class ShopState:
    shopify_token: str = "shpat_test_token"
    shopify_orders: list[dict] = field(default_factory=list)
    shopify_page_size: int = 2
    base_access_token: str = "base-access-1"
    base_refresh_token: str = "base-refresh-1"
    base_client_id: str = "client-abc"
    base_client_secret: str = "client-secret-xyz"
    base_orders: list[dict] = field(default_factory=list)
    base_page_size: int = 100
    throttle: int = 0  # answer this many next requests with 429
    requests: list[tuple[str, str]] = field(default_factory=list)
    refreshes: int = 0


class _Handler(BaseHTTPRequestHandler):
    state: ShopState
    base_url: str

    def log_message(self, *args) -> None:  # keep test output clean
        return

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _throttled(self) -> bool:
        if self.state.throttle > 0:
            self.state.throttle -= 1
            self._send(
                429,
                {"errors": "Exceeded 2 calls per second for api client."},
                {"Retry-After": "0.05"},
            )
            return True
        return False

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.state.requests.append(("GET", self.path))
        if self._throttled():
            return
        if url.path.startswith("/admin/api/"):
            return self._shopify(url)
        if url.path.startswith("/1/"):
            return self._base_get(url)
        self._send(404, {"errors": "Not Found"})

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        self.state.requests.append(("POST", self.path))
        if url.path == "/1/oauth/token":
            return self._base_token(form)
        self._send(404, {"error": "not_found"})

    # Shopify Admin REST API
    def _shopify(self, url) -> None:
        if self.headers.get("X-Shopify-Access-Token") != self.state.shopify_token:
            return self._send(
                401,
                {
                    "errors": "[API] Invalid API key or access token "
                    "(unrecognized login or wrong password)"
                },
            )
        if url.path == f"/admin/api/{API_VERSION}/shop.json":
            return self._send(200, {"shop": {"id": 1, "name": "窓口テスト商店"}})
        if url.path != f"/admin/api/{API_VERSION}/orders.json":
            return self._send(404, {"errors": "Not Found"})
        query = parse_qs(url.query)
        if "page_info" in query:
            # Shopify: with page_info, no filter but limit/fields may be sent.
            if set(query) - {"page_info", "limit", "fields"}:
                return self._send(400, {"errors": {"page_info": "Invalid parameters"}})
            start = int(base64.urlsafe_b64decode(query["page_info"][0]).decode())
        else:
            start = 0
        size = min(self.state.shopify_page_size, int(query.get("limit", ["50"])[0]))
        page = self.state.shopify_orders[start : start + size]
        headers = {}
        if start + size < len(self.state.shopify_orders):
            token = base64.urlsafe_b64encode(str(start + size).encode()).decode()
            headers["Link"] = (
                f"<{self.base_url}/admin/api/{API_VERSION}/orders.json?"
                f'limit={size}&page_info={token}>; rel="next"'
            )
        self._send(200, {"orders": page}, headers)

    # BASE API
    def _bearer_ok(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {self.state.base_access_token}"

    def _base_get(self, url) -> None:
        if not self._bearer_ok():
            return self._send(
                401,
                {"error": "invalid_request", "error_description": "アクセストークンが無効です。"},
            )
        if url.path == "/1/users/me":
            return self._send(
                200, {"user": {"shop_id": "madoguchi-test", "shop_name": "窓口BASE店"}}
            )
        if url.path == "/1/orders":
            query = parse_qs(url.query)
            offset = int(query.get("offset", ["0"])[0])
            limit = min(int(query.get("limit", ["20"])[0]), 100, self.state.base_page_size)
            rows = self.state.base_orders[offset : offset + limit]
            summaries = [
                {
                    k: o[k]
                    for k in (
                        "unique_key",
                        "ordered",
                        "total",
                        "dispatch_status",
                        "modified",
                        "terminated",
                    )
                }
                for o in rows
            ]
            return self._send(200, {"orders": summaries})
        if url.path.startswith("/1/orders/detail/"):
            key = url.path.rsplit("/", 1)[1]
            for order in self.state.base_orders:
                if order["unique_key"] == key:
                    return self._send(200, {"order": order})
            return self._send(
                400, {"error": "invalid_request", "error_description": "注文情報が見つかりません。"}
            )
        self._send(404, {"error": "not_found"})

    def _base_token(self, form: dict) -> None:
        one = {k: v[0] for k, v in form.items()}
        if (
            one.get("grant_type") != "refresh_token"
            or one.get("client_id") != self.state.base_client_id
            or one.get("client_secret") != self.state.base_client_secret
            or one.get("refresh_token") != self.state.base_refresh_token
        ):
            return self._send(
                400,
                {"error": "invalid_grant", "error_description": "リフレッシュトークンが無効です。"},
            )
        self.state.refreshes += 1
        self.state.base_access_token = f"base-access-{self.state.refreshes + 1}"
        self.state.base_refresh_token = f"base-refresh-{self.state.refreshes + 1}"
        self._send(
            200,
            {
                "access_token": self.state.base_access_token,
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": self.state.base_refresh_token,
            },
        )


class FakeShops:
    """`with FakeShops() as shops:` — `shops.url` is the API base URL for both platforms."""

    def __init__(self) -> None:
        self.state = ShopState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        handler.base_url = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeShops:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
