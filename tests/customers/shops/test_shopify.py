"""Shopify: signed order webhooks into purchase history; backfill over the Admin REST API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from channels_in.models import InboundEvent, InboundStatus
from channels_in.shops import shopify as connector
from channels_in.shops.http import ShopAuthError
from customers.models import Customer, Order
from customers.shops import shop_client
from tests.customers.shops.conftest import WEBHOOK_SECRET
from tests.customers.shops.fake_shops import shopify_order

pytestmark = pytest.mark.django_db


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(
    client,
    connection,
    body: bytes,
    *,
    topic="orders/create",
    webhook_id="wh-1",
    signature: str | None = None,
    capture=None,
):
    headers = {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_HMAC_SHA256": sign(body) if signature is None else signature,
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": "madoguchi-test.myshopify.com",
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
        "HTTP_X_SHOPIFY_API_VERSION": "2025-01",
    }
    url = f"/webhooks/shopify/{connection.key}/"
    if capture is None:
        return client.post(url, body, content_type="application/json", **headers)
    with capture(execute=True):
        return client.post(url, body, content_type="application/json", **headers)


def test_orders_create_becomes_an_order_with_items_for_the_customer(
    client, shopify, django_capture_on_commit_callbacks
):
    body = json.dumps(
        shopify_order(820982911946154500, "yamada@example.jp", tracking="1234-5678-9012")
    ).encode()

    response = deliver(client, shopify, body, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 200 and response.json()["ok"] is True
    order = Order.objects.get()
    assert order.customer.email == "yamada@example.jp" and order.customer.name == "山田 太郎"
    assert (order.number, order.status, order.total, order.currency) == (
        "#1500",
        "paid",
        5800,
        "JPY",
    )
    assert (order.carrier, order.tracking_number) == ("ヤマト運輸", "1234-5678-9012")
    assert order.shipping_status == "in_transit"
    assert [(i.sku, i.quantity, i.price) for i in order.items.all()] == [
        ("MUG-1", 2, 1500),
        ("BAG-2", 1, 2800),
    ]
    event = InboundEvent.objects.get()
    assert bytes(event.payload) == body and event.status == InboundStatus.PROCESSED
    assert event.headers["topic"] == "orders/create"


def test_orders_updated_updates_the_same_order(client, shopify, django_capture_on_commit_callbacks):
    first = shopify_order(42, "yamada@example.jp")
    deliver(client, shopify, json.dumps(first).encode(), capture=django_capture_on_commit_callbacks)
    updated = shopify_order(
        42, "yamada@example.jp", tracking="9999-0000-1111", cancelled_at="2026-11-21T10:00:00+09:00"
    )

    deliver(
        client,
        shopify,
        json.dumps(updated).encode(),
        topic="orders/updated",
        webhook_id="wh-2",
        capture=django_capture_on_commit_callbacks,
    )

    order = Order.objects.get()
    assert order.status == "cancelled" and order.tracking_number == "9999-0000-1111"
    assert Customer.objects.count() == 1


def test_a_bad_signature_is_refused_with_401_and_nothing_is_stored(client, shopify):
    body = json.dumps(shopify_order(1, "x@example.jp")).encode()

    for signature in ("", "AAAA", sign(body, "someone-elses-secret"), sign(body + b" ")):
        response = deliver(client, shopify, body, signature=signature)
        assert response.status_code == 401
        assert response.json() == {"error": "invalid signature"}
    assert not InboundEvent.objects.exists() and not Order.objects.exists()


def test_an_unknown_connection_is_404(client, shopify):
    response = client.post("/webhooks/shopify/nope/", b"{}", content_type="application/json")
    assert response.status_code == 404


def test_a_redelivered_webhook_is_ignored(client, shopify, django_capture_on_commit_callbacks):
    body = json.dumps(shopify_order(7, "dup@example.jp")).encode()

    first = deliver(client, shopify, body, capture=django_capture_on_commit_callbacks)
    again = deliver(client, shopify, body, capture=django_capture_on_commit_callbacks)

    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert InboundEvent.objects.count() == 1 and Order.objects.count() == 1


def test_malformed_json_is_kept_raw_and_answered_with_a_clear_error(
    client, shopify, django_capture_on_commit_callbacks
):
    body = b'{"id": 5, "email": "broken@example.jp", '

    response = deliver(client, shopify, body, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 400 and "not JSON" in response.json()["error"]
    event = InboundEvent.objects.get()
    assert bytes(event.payload) == body
    assert event.status == InboundStatus.FAILED and "not JSON" in event.error
    assert event.next_attempt_at is None  # retrying cannot fix it


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"total_price": "lots"}, "total_price"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"email": None, "contact_email": None, "customer": {}, "phone": None}, "neither an email"),
        ({"line_items": "MUG-1"}, "line_items"),
    ],
)
def test_orders_that_make_no_sense_fail_with_the_reason(
    client, shopify, django_capture_on_commit_callbacks, change, reason
):
    order = shopify_order(8, "odd@example.jp")
    order.update(change)

    response = deliver(
        client, shopify, json.dumps(order).encode(), capture=django_capture_on_commit_callbacks
    )

    assert response.status_code == 200  # stored; the worker judged it
    event = InboundEvent.objects.get()
    assert event.status == InboundStatus.FAILED and reason in event.error
    assert not Order.objects.exists()


def test_other_topics_are_acknowledged_but_not_stored(client, shopify):
    body = json.dumps({"id": 1, "title": "product"}).encode()
    response = deliver(client, shopify, body, topic="products/update")
    assert response.status_code == 200 and response.json() == {"ignored": "products/update"}
    assert not InboundEvent.objects.exists()


def test_an_oversized_body_is_refused(client, shopify):
    body = b"{" + b" " * (5 * 1024 * 1024 + 10) + b"}"
    response = deliver(client, shopify, body)
    assert response.status_code == 413 and not InboundEvent.objects.exists()


# --- Admin REST API ------------------------------------------------------------------------
def test_backfill_follows_the_link_header_through_every_page(shops, shopify):
    shops.state.shopify_orders = [shopify_order(i, f"buyer{i % 3}@example.jp") for i in range(1, 6)]

    seen = connector.backfill(shopify)

    assert seen == 5
    assert Order.objects.count() == 5 and Customer.objects.count() == 3
    pages = [path for method, path in shops.state.requests if "orders.json" in path]
    assert len(pages) == 3 and "page_info=" in pages[1] and "status=any" not in pages[1]
    shopify.refresh_from_db()
    assert shopify.last_sync_at is not None and shopify.last_error == ""
    assert connector.backfill(shopify) == 5 and Order.objects.count() == 5  # idempotent


def test_backfill_waits_out_a_429_and_carries_on(shops, shopify):
    shops.state.shopify_orders = [shopify_order(1, "a@example.jp")]
    shops.state.throttle = 2

    assert connector.backfill(shopify) == 1
    assert Order.objects.count() == 1


def test_a_wrong_token_is_a_clear_error_on_the_connection(shops, shopify):
    from channels_in.shops.tasks import sync_connection

    shops.state.shopify_token = "rotated"

    assert sync_connection(shopify) == 0
    shopify.refresh_from_db()
    assert "401" in shopify.last_error and "Invalid API key" in shopify.last_error
    with pytest.raises(ShopAuthError):
        shop_client("shopify").check(shopify)


def test_a_link_to_another_host_is_not_followed(shopify):
    assert (
        connector.next_page_url(
            shopify, '<https://evil.example/admin/api/2025-01/orders.json?page_info=x>; rel="next"'
        )
        is None
    )


def test_checking_the_connection_names_the_shop(shopify):
    assert shop_client("shopify").check(shopify) == "窓口テスト商店"


def test_a_late_orders_updated_does_not_overwrite_a_newer_state(
    client, shopify, django_capture_on_commit_callbacks
):
    shipped = shopify_order(
        77, "yamada@example.jp", tracking="5555-6666-7777", updated_at="2026-11-21T12:00:00+09:00"
    )
    # Shopify retried an older delivery (paid, not yet shipped) after the shipped one arrived.
    older = shopify_order(77, "yamada@example.jp", updated_at="2026-11-21T09:00:00+09:00")
    newest = shopify_order(
        77,
        "yamada@example.jp",
        tracking="5555-6666-7777",
        cancelled_at="2026-11-22T08:00:00+09:00",
        updated_at="2026-11-22T08:00:00+09:00",
    )
    capture = django_capture_on_commit_callbacks

    deliver(client, shopify, json.dumps(shipped).encode(), topic="orders/updated", capture=capture)
    late = deliver(
        client,
        shopify,
        json.dumps(older).encode(),
        topic="orders/updated",
        webhook_id="wh-late",
        capture=capture,
    )

    assert late.status_code == 200  # acknowledged: Shopify must not retry it forever
    order = Order.objects.get()
    assert order.tracking_number == "5555-6666-7777" and order.shipping_status == "in_transit"
    assert [i.sku for i in order.items.all()] == ["MUG-1", "BAG-2"]
    assert InboundEvent.objects.filter(status=InboundStatus.PROCESSED).count() == 2

    deliver(
        client,
        shopify,
        json.dumps(newest).encode(),
        topic="orders/cancelled",
        webhook_id="wh-new",
        capture=capture,
    )
    order.refresh_from_db()
    assert order.status == "cancelled" and order.tracking_number == "5555-6666-7777"


def test_an_unreadable_updated_at_fails_with_the_reason(
    client, shopify, django_capture_on_commit_callbacks
):
    body = json.dumps(shopify_order(78, "yamada@example.jp", updated_at="yesterday")).encode()

    deliver(client, shopify, body, capture=django_capture_on_commit_callbacks)

    event = InboundEvent.objects.get()
    assert event.status == InboundStatus.FAILED and "updated_at" in event.error
    assert not Order.objects.exists()
