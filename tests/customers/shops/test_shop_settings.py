"""Settings → Shops: admins connect a shop, see its webhook URL, test it and fetch orders."""

from __future__ import annotations

import pytest

from customers.models import Order, ShopConnection
from customers.shops import shop_connection_secret
from tests.customers.shops.fake_shops import API_VERSION, shopify_order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role="admin"))
    return client


def test_an_admin_connects_shopify_and_sees_the_webhook_url(admin_client, shops):
    response = admin_client.post(
        "/agent/customers/shops/new/",
        {
            "platform": "shopify",
            "name": "本店",
            "api_base_url": shops.url,
            "api_version": API_VERSION,
            "access_token": "shpat_test_token",
            "secret": "s3cret",
        },
    )

    assert response.status_code == 302
    connection = ShopConnection.objects.get()
    assert shop_connection_secret(connection, "secret") == "s3cret"
    assert "s3cret" not in connection.secret_encrypted  # stored encrypted
    page = admin_client.get("/agent/customers/shops/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"http://testserver/webhooks/shopify/{connection.key}/" in page
    assert "s3cret" not in page and "shpat_test_token" not in page


def test_missing_secrets_and_address_are_field_errors(admin_client):
    response = admin_client.post(
        "/agent/customers/shops/new/",
        {"platform": "shopify", "name": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the shop&#x27;s address" in page or "Give the shop's address" in page
    assert not ShopConnection.objects.exists()


def test_editing_without_retyping_secrets_keeps_them(admin_client, shopify):
    response = admin_client.post(
        f"/agent/customers/shops/{shopify.pk}/",
        {
            "platform": "shopify",
            "name": "改名",
            "api_base_url": shopify.api_base_url,
            "api_version": API_VERSION,
        },
    )
    assert response.status_code == 302
    shopify.refresh_from_db()
    assert shopify.name == "改名" and shop_connection_secret(shopify, "secret")


def test_test_button_reports_success_and_failure(admin_client, shops, shopify):
    ok = admin_client.post(
        f"/agent/customers/shops/{shopify.pk}/test/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Connected to 窓口テスト商店" in ok.content.decode()

    shops.state.shopify_token = "revoked"
    bad = admin_client.post(
        f"/agent/customers/shops/{shopify.pk}/test/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "refused or could not be reached" in bad.content.decode()
    shopify.refresh_from_db()
    assert "401" in shopify.last_error


def test_fetch_now_backfills_in_the_background(admin_client, shops, shopify):
    shops.state.shopify_orders = [
        shopify_order(1, "a@example.jp"),
        shopify_order(2, "b@example.jp"),
    ]
    response = admin_client.post(f"/agent/customers/shops/{shopify.pk}/sync/")
    assert response.status_code == 302
    assert Order.objects.count() == 2  # the task ran inline in tests


def test_disconnecting_keeps_imported_orders(admin_client, shops, shopify):
    shops.state.shopify_orders = [shopify_order(1, "a@example.jp")]
    admin_client.post(f"/agent/customers/shops/{shopify.pk}/sync/")
    admin_client.post(f"/agent/customers/shops/{shopify.pk}/delete/")
    assert not ShopConnection.objects.exists() and Order.objects.count() == 1


@pytest.mark.parametrize("role", ["manager", "agent", "light_agent"])
def test_only_admins_manage_shops(client, shopify, role):
    client.force_login(UserFactory(role=role))
    assert client.get("/agent/customers/shops/").status_code == 403
    assert client.post(f"/agent/customers/shops/{shopify.pk}/test/").status_code == 403
    assert client.post("/agent/customers/shops/new/", {"name": "x"}).status_code == 403
