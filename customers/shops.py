"""Shop connections: the writes of the settings pages, and the port to the connectors.

The connectors (HTTP to Shopify and BASE, webhooks, polling) live in `channels_in.shops`;
customers imports none of the other apps, so they register a client per platform here in
their AppConfig.ready() and the settings pages reach them through `shop_client()`.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from helpdesk import crypto

from .models import ShopConnection, ShopPlatform

DEFAULT_API_BASE = {ShopPlatform.BASE: "https://api.thebase.in"}
DEFAULT_API_VERSION = {ShopPlatform.SHOPIFY: "2025-01"}


class ShopConnectionError(Exception):
    """The shop refused or could not be reached; the message is for the admin to act on."""


class ShopClient(Protocol):
    def check(self, connection: ShopConnection) -> str:
        """Call the shop once; return its name. Raise ShopConnectionError with the reason."""

    def start_sync(self, connection: ShopConnection) -> None:
        """Fetch past and changed orders in the background (backfill / polling)."""


_clients: dict[str, ShopClient] = {}


def register_shop_client(platform: str, client: ShopClient) -> None:
    _clients[platform] = client


def shop_client(platform: str) -> ShopClient:
    try:
        return _clients[platform]
    except KeyError:
        raise ShopConnectionError(
            _("No connector is installed for %(platform)s.") % {"platform": platform}
        ) from None


def shop_connection_save(
    *,
    connection: ShopConnection | None = None,
    platform: str,
    name: str,
    api_base_url: str,
    api_version: str = "",
    client_id: str = "",
    redirect_uri: str = "",
    access_token: str = "",
    secret: str = "",
    refresh_token: str = "",
) -> ShopConnection:
    """Create or edit a connection. Blank secrets on edit keep the stored ones (the form
    never shows them back)."""
    connection = connection or ShopConnection(platform=platform, key=secrets.token_urlsafe(18))
    connection.platform = platform
    connection.name = name.strip()
    connection.api_base_url = (api_base_url or DEFAULT_API_BASE.get(platform, "")).rstrip("/")
    connection.api_version = api_version or DEFAULT_API_VERSION.get(platform, "")
    connection.client_id = client_id.strip()
    connection.redirect_uri = redirect_uri.strip()
    for field, value in (
        ("access_token_encrypted", access_token),
        ("secret_encrypted", secret),
        ("refresh_token_encrypted", refresh_token),
    ):
        if value.strip():
            setattr(connection, field, crypto.encrypt_text(value.strip()))
    if platform == ShopPlatform.SHOPIFY and not connection.secret_encrypted:
        raise ValidationError(
            {"secret": _("Shopify signs webhooks with the app's client secret: it is required.")}
        )
    if platform == ShopPlatform.SHOPIFY and not connection.access_token_encrypted:
        raise ValidationError({"access_token": _("The Admin API access token is required.")})
    if platform == ShopPlatform.BASE and not (
        connection.access_token_encrypted or connection.refresh_token_encrypted
    ):
        raise ValidationError({"access_token": _("Give an access token or a refresh token.")})
    connection.full_clean()
    connection.save()
    return connection


def shop_connection_secret(connection: ShopConnection, field: str) -> str:
    """A decrypted secret ("access_token", "secret", "refresh_token"), "" when unset."""
    stored = getattr(connection, f"{field}_encrypted")
    return crypto.decrypt_text(stored) if stored else ""


def shop_connection_tokens_store(
    connection: ShopConnection, *, access_token: str, refresh_token: str = "", expires_at=None
) -> None:
    """Keep tokens a refresh returned (BASE rotates the refresh token on every refresh)."""
    connection.access_token_encrypted = crypto.encrypt_text(access_token)
    if refresh_token:
        connection.refresh_token_encrypted = crypto.encrypt_text(refresh_token)
    connection.token_expires_at = expires_at
    connection.save(
        update_fields=["access_token_encrypted", "refresh_token_encrypted", "token_expires_at"]
    )
