"""Fixtures for the social channels: a fake provider API, accounts pointing at it, and
webhook posts signed the way each platform signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest

from tests.channels_in.social.provider import FakeProvider

LINE_SECRET = "test_channel_secret_0123456789ab"  # the corpus signatures use these
META_SECRET = "test_app_secret_0123456789abcdef"
X_SECRET = "x-consumer-secret-for-tests"
TELEGRAM_SECRET = "telegram-secret-token_123"
TWILIO_TOKEN = "twilio-auth-token-0123456789abcd"
TWILIO_SID = "AC00000000000000000000000000000001"
TOKENS = {
    "line": "line-channel-access-token",
    "messenger": "EAAG-page-token",
    "instagram": "EAAG-ig-page-token",
    "whatsapp": "EAAG-wa-system-user-token",
    "x": "x-oauth2-user-token",
    "telegram": "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
    "sms": TWILIO_TOKEN,
    "phone": TWILIO_TOKEN,
}
SECRETS = {
    "line": LINE_SECRET,
    "messenger": META_SECRET,
    "instagram": META_SECRET,
    "whatsapp": META_SECRET,
    "x": X_SECRET,
    "telegram": TELEGRAM_SECRET,
}
EXTERNAL_IDS = {
    "messenger": "200000000000001",
    "instagram": "400000000000001",
    "whatsapp": "100000000000002",
    "x": "9990001",
    "sms": "+15005550006",
    "phone": "+15005550006",
}


@pytest.fixture
def provider():
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _site_url(settings):
    # Twilio signs the URL it calls: the one we show admins is built from SITE_URL.
    settings.SITE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def _english():
    """Stored texts (call summaries, "(Sticker)") and errors are written in the active
    language: these tests read them in English."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_account(db, provider):
    from channels_in.models import SocialAccount
    from channels_in.social_accounts import save_social_account

    def make(kind: str, **fields) -> SocialAccount:
        values = {
            "kind": kind,
            "name": f"Test {kind}",
            "api_base_url": provider.url,
            "external_id": EXTERNAL_IDS.get(kind, ""),
            "api_user": TWILIO_SID if kind in ("sms", "phone") else "",
            **fields,
        }
        account = SocialAccount(**values)
        return save_social_account(account, access_token=TOKENS[kind], secret=SECRETS.get(kind, ""))

    return make


def signed_headers(kind: str, body: bytes, url: str = "", secret: str | None = None) -> dict:
    """The headers the platform sends with `body` (Django test-client spelling)."""
    secret = SECRETS.get(kind, TWILIO_TOKEN) if secret is None else secret
    key = secret.encode()
    if kind == "line":
        sig = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
        return {"HTTP_X_LINE_SIGNATURE": sig}
    if kind in ("messenger", "instagram", "whatsapp"):
        return {
            "HTTP_X_HUB_SIGNATURE_256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        }
    if kind == "x":
        sig = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
        return {"HTTP_X_TWITTER_WEBHOOKS_SIGNATURE": "sha256=" + sig}
    if kind == "telegram":
        return {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret}
    if kind in ("sms", "phone"):
        from urllib.parse import parse_qsl

        params = sorted(parse_qsl(body.decode()))
        data = url + "".join(f"{k}{v}" for k, v in params)
        sig = base64.b64encode(hmac.new(key, data.encode(), hashlib.sha1).digest()).decode()
        return {"HTTP_X_TWILIO_SIGNATURE": sig}
    raise AssertionError(kind)


@pytest.fixture
def post_webhook(client, django_capture_on_commit_callbacks):
    """POST a body to an account's webhook, signed correctly unless told otherwise; the
    stored events are processed (eager Celery) when the request's transaction commits."""

    def post(account, body, *, headers: dict | None = None, signed: bool = True, form=False):
        if isinstance(body, (dict, list)) and not form:
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        elif isinstance(body, dict):
            body = urlencode(body).encode()
        path = f"/webhooks/{account.kind}/{account.pk}/"
        extra = signed_headers(account.kind, body, f"http://testserver{path}") if signed else {}
        content_type = (
            "application/x-www-form-urlencoded"
            if account.kind in ("sms", "phone")
            else "application/json"
        )
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                path,
                data=body,
                content_type=content_type,
                HTTP_ACCEPT_LANGUAGE="en",
                **extra,
                **(headers or {}),
            )

    return post
