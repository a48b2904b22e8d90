"""Called once from ChannelsInConfig.ready(): shop adapters into the channel registry, and the
raw-event share of data subject requests into `customers.erasure`."""

from __future__ import annotations


def connect() -> None:
    from customers.erasure import register_personal_data_handler
    from customers.models import ShopPlatform
    from customers.shops import register_shop_client

    from .. import registry
    from ..privacy import RawEventPersonalData
    from . import base, shopify

    registry.register(shopify.ShopifyAdapter())
    registry.register(base.BaseAdapter())
    register_shop_client(ShopPlatform.SHOPIFY, shopify.ShopifyClient())
    register_shop_client(ShopPlatform.BASE, base.BaseClient())
    register_personal_data_handler(RawEventPersonalData())
