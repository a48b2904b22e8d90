"""BASE: polling orders with an OAuth token that expires and is refreshed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_in.models import InboundEvent, InboundStatus
from channels_in.shops import base as connector
from channels_in.shops.http import ShopAuthError
from channels_in.shops.tasks import sync_connection
from customers.models import Order
from customers.shops import shop_client, shop_connection_secret
from tests.customers.shops.fake_shops import base_order

pytestmark = pytest.mark.django_db


def test_polling_stores_each_order_raw_and_upserts_it(shops, base_shop):
    shops.state.base_orders = [base_order("154D88A39E454289", "hanako@example.jp")]

    assert connector.poll(base_shop) == 1

    order = Order.objects.get()
    assert order.customer.email == "hanako@example.jp" and order.customer.name == "佐藤 花子"
    assert (order.number, order.total, order.currency) == ("154D88A39E454289", 3700, "JPY")
    assert (order.status, order.shipping_status) == ("dispatched", "dispatched")
    assert (order.carrier, order.tracking_number) == ("ヤマト運輸", "4444-5555-6666")
    (item,) = order.items.all()
    assert (item.name, item.quantity, item.price, item.sku) == ("Tシャツ サイズM", 2, 1600, "1000")
    event = InboundEvent.objects.get(kind="base")
    assert event.status == InboundStatus.PROCESSED and b"hanako@example.jp" in bytes(event.payload)
    base_shop.refresh_from_db()
    assert base_shop.synced_until is not None and base_shop.last_error == ""


def test_unchanged_orders_are_not_fetched_again_but_changed_ones_are(shops, base_shop):
    shops.state.base_orders = [
        base_order("AAA1", "a@example.jp"),
        base_order("BBB2", "b@example.jp"),
    ]
    connector.poll(base_shop)
    shops.state.requests.clear()
    shops.state.base_orders[1] = base_order(
        "BBB2", "b@example.jp", modified=1763700000, cancelled=1763700000
    )

    assert connector.poll(base_shop) == 1

    details = [p for _m, p in shops.state.requests if "/orders/detail/" in p]
    assert details == ["/1/orders/detail/BBB2"]
    assert Order.objects.get(number="BBB2").status == "cancelled"
    assert Order.objects.count() == 2


def test_offset_pagination_reads_every_page(shops, base_shop):
    shops.state.base_page_size = 100
    shops.state.base_orders = [base_order(f"K{i:04d}", f"c{i % 5}@example.jp") for i in range(201)]

    assert connector.poll(base_shop) == 201

    offsets = [p for _m, p in shops.state.requests if p.startswith("/1/orders?")]
    assert len(offsets) == 3 and "offset=200" in offsets[2]
    assert Order.objects.count() == 201


def test_an_expired_token_is_refreshed_and_both_new_tokens_are_kept(shops, base_shop):
    shops.state.base_access_token = "rotated-by-base"  # ours is no longer accepted
    shops.state.base_orders = [base_order("CCC3", "c@example.jp")]

    assert connector.poll(base_shop) == 1

    base_shop.refresh_from_db()
    assert shops.state.refreshes == 1
    assert shop_connection_secret(base_shop, "access_token") == shops.state.base_access_token
    assert shop_connection_secret(base_shop, "refresh_token") == shops.state.base_refresh_token
    assert base_shop.token_expires_at > timezone.now() + timedelta(minutes=50)


def test_a_refused_refresh_is_a_clear_error_on_the_connection(shops, base_shop):
    shops.state.base_access_token = "rotated"
    shops.state.base_refresh_token = "also-rotated"

    assert sync_connection(base_shop) == 0

    base_shop.refresh_from_db()
    assert "invalid_grant" in base_shop.last_error
    assert not Order.objects.exists()


def test_rate_limiting_is_waited_out(shops, base_shop):
    shops.state.base_orders = [base_order("DDD4", "d@example.jp")]
    shops.state.throttle = 1
    assert connector.poll(base_shop) == 1


def test_a_malformed_order_is_kept_raw_and_failed_with_the_reason(shops, base_shop):
    shops.state.base_orders = [base_order("EEE5", "e@example.jp", ordered="yesterday")]

    connector.poll(base_shop)

    event = InboundEvent.objects.get(kind="base")
    assert event.status == InboundStatus.FAILED and "ordered" in event.error
    assert not Order.objects.exists()


def test_a_hostile_unique_key_never_reaches_a_url(shops, base_shop):
    shops.state.base_orders = [base_order("../../users/me", "f@example.jp")]
    assert sync_connection(base_shop) == 0
    base_shop.refresh_from_db()
    assert "unique_key" in base_shop.last_error
    assert not any("users/me" in p and "detail" in p for _m, p in shops.state.requests)


def test_checking_the_connection_names_the_shop(shops, base_shop):
    assert shop_client("base").check(base_shop) == "窓口BASE店"
    shops.state.base_access_token = "gone"
    shops.state.base_refresh_token = "gone"
    with pytest.raises(ShopAuthError):
        shop_client("base").check(base_shop)


def test_the_beat_task_polls_active_base_shops(shops, base_shop):
    from channels_in.shops.tasks import poll_shops

    shops.state.base_orders = [base_order("FFF6", "g@example.jp")]
    poll_shops()  # tasks run inline in tests
    assert Order.objects.filter(number="FFF6").exists()
