import pytest

from customers.models import ShopPlatform
from customers.shops import shop_connection_save
from tests.customers.shops.fake_shops import API_VERSION, FakeShops

WEBHOOK_SECRET = "shpss_webhook_secret"


@pytest.fixture
def shops():
    with FakeShops() as fake:
        yield fake


@pytest.fixture
def shopify(db, shops):
    return shop_connection_save(
        platform=ShopPlatform.SHOPIFY,
        name="Shopify本店",
        api_base_url=shops.url,
        api_version=API_VERSION,
        access_token=shops.state.shopify_token,
        secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def base_shop(db, shops):
    return shop_connection_save(
        platform=ShopPlatform.BASE,
        name="BASE店",
        api_base_url=shops.url,
        client_id=shops.state.base_client_id,
        secret=shops.state.base_client_secret,
        access_token=shops.state.base_access_token,
        refresh_token=shops.state.base_refresh_token,
        redirect_uri="https://helpdesk.example/agent/customers/shops/",
    )
