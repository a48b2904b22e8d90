"""Celery entry points of the shop connectors: thin, errors kept on the connection."""

from __future__ import annotations

import logging

from celery import shared_task

from customers.models import ShopConnection, ShopPlatform
from customers.shops import ShopConnectionError

from . import base, shopify

log = logging.getLogger(__name__)


def sync_connection(connection: ShopConnection) -> int:
    """Backfill (Shopify) or poll (BASE) once; a failure is written on the connection, where
    the settings page shows it, and never raised into the worker."""
    try:
        if connection.platform == ShopPlatform.SHOPIFY:
            return shopify.backfill(connection)
        return base.poll(connection)
    except ShopConnectionError as exc:
        log.warning("shop %s sync failed: %s", connection.pk, exc)
        connection.last_error = str(exc)[:2000]
        connection.save(update_fields=["last_error"])
        return 0


@shared_task(name="channels_in.shops.tasks.sync_shop", ignore_result=True)
def sync_shop(connection_id: int) -> None:
    connection = ShopConnection.objects.filter(pk=connection_id, active=True).first()
    if connection is not None:
        sync_connection(connection)


@shared_task(name="channels_in.shops.tasks.poll_shops", ignore_result=True)
def poll_shops() -> None:
    """Beat: BASE has no webhooks, so its shops are polled (Shopify pushes webhooks)."""
    for pk in ShopConnection.objects.filter(active=True, platform=ShopPlatform.BASE).values_list(
        "pk", flat=True
    ):
        sync_shop.delay(pk)
