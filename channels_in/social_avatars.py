"""Profile pictures of the people who write to us on social channels.

Ingest never waits for a picture: an adapter's `parse` only calls `request_avatar`, which queues
`fetch_identity_avatar` after the event's transaction commits (so the identity exists by then)
and at most once per picture per `REQUEST_EVERY`. The task finds the picture where each
platform documents it, downloads at most `customers.avatars.MAX_SOURCE_BYTES` and hands the
bytes to `customers.avatars`, which keeps only a re-encoded picture:

- LINE: GET /v2/bot/profile/{userId} → `pictureUrl` (absent when the user has none);
- Messenger / Instagram: GET /{PSID or IGSID}?fields=profile_pic → `profile_pic`;
- Telegram: getUserProfilePhotos?user_id=…&limit=1 → `photos[0]` (sizes, smallest first) →
  getFile?file_id=… → `file_path` → GET /file/bot<token>/<file_path>;
- X: the `profile_image_url` of the user object in the event (`_normal` is 48 px; the
  documented `_bigger` variant is 73 px), else GET /2/users/{id}?user.fields=profile_image_url.

A transient failure (network, 429, 5xx) raises `ProviderUnavailable` and the task retries with
backoff; a missing picture (404) or a file that is not a small picture is logged and dropped.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.db import transaction

from customers import avatars
from customers.models import Identity

from . import social_http
from .models import SocialAccount
from .social_common import bearer

log = logging.getLogger(__name__)

# One look per identity and picture this often, however chatty the customer is.
REQUEST_EVERY = 6 * 60 * 60
NO_PICTURE = "none"  # `avatar_source` when the platform says the user has no picture


def request_avatar(
    *, kind: str, handle: str, account: SocialAccount, url: str | None = None
) -> None:
    """Queue a look at this sender's picture once the current transaction commits.

    `url`: the picture the platform just named; "" when it just said there is none; None
    when we do not know (the task asks the platform)."""
    if not handle:
        return
    account_id = account.pk

    def queue() -> None:
        marker = hashlib.sha256(f"{kind}:{handle}:{url}".encode()).hexdigest()[:32]
        if not cache.add(f"avatar-wanted:{marker}", 1, timeout=REQUEST_EVERY):
            return
        from .tasks import fetch_identity_avatar

        try:
            fetch_identity_avatar.delay(kind, handle, account_id, url)
        except Exception:  # noqa: BLE001 - a picture is never worth failing a message for
            log.warning("could not queue the avatar of %s:%s", kind, handle, exc_info=True)

    transaction.on_commit(queue)


def fetch_avatar(kind: str, handle: str, account_id: int, url: str | None = None) -> str:
    """Fetch and store the picture; returns what happened ("stored", "current", "none",
    "refused: …", "gone", "no identity"). Raises `ProviderUnavailable` to be retried."""
    identity = Identity.objects.filter(kind=kind, handle=handle).first()
    account = SocialAccount.objects.filter(pk=account_id, kind=kind).first()
    if identity is None or account is None:
        return "no identity"
    try:
        found = _look_up(kind, handle, account) if url is None else (url or None)
    except LookupRefused as exc:
        log.info("avatar of %s:%s: %s", kind, handle, exc)
        return f"refused: {exc}"
    if found is None:
        if identity.avatar_source != NO_PICTURE:
            avatars.clear_identity_avatar(identity, source=NO_PICTURE)
        return "none"
    source, headers = _download_target(kind, found, account)
    if kind == "telegram":  # the file path changes hourly; the unique id names the picture
        found = found.rsplit(":", 1)[0]
    if avatars.avatar_is_current(identity, found):
        return "current"
    try:
        got = social_http.download(source, headers=headers, limit=avatars.MAX_SOURCE_BYTES)
    except social_http.MediaNotFound:
        if source != found:  # the larger variant is missing: the original size will do
            try:
                got = social_http.download(found, limit=avatars.MAX_SOURCE_BYTES)
            except social_http.MediaNotFound:
                return _gone(kind, handle)
        else:
            return _gone(kind, handle)
    except social_http.MediaTooLarge as exc:
        log.info("avatar of %s:%s refused: %s", kind, handle, exc)
        return f"refused: {exc}"
    try:
        avatars.set_identity_avatar(
            identity, content=got.content, content_type=got.content_type, source=found
        )
    except avatars.AvatarRefused as exc:
        log.info("avatar of %s:%s refused: %s", kind, handle, exc)
        return f"refused: {exc}"
    return "stored"


def _gone(kind: str, handle: str) -> str:
    log.info("avatar of %s:%s is gone (404)", kind, handle)
    return "gone"


def _download_target(kind: str, url: str, account: SocialAccount) -> tuple[str, dict | None]:
    """Where to download `url` from, with which headers."""
    if kind == "x" and "_normal." in url:
        return url.replace("_normal.", "_bigger.", 1), None
    if kind == "telegram" and url.startswith("tg-file:"):
        token = account.get_access_token()
        path = url.removeprefix("tg-file:").split(":", 1)[1]
        return f"{social_http.base_url(account)}/file/bot{token}/{path}", None
    return url, None


def _look_up(kind: str, handle: str, account: SocialAccount) -> str | None:
    """The platform's current picture URL for the user, None when they have none."""
    base = social_http.base_url(account)
    token = account.get_access_token()
    if kind == "line":
        body = _json("GET", f"{base}/v2/bot/profile/{handle}", headers=bearer(token))
        return str(body.get("pictureUrl") or "") or None
    if kind in ("messenger", "instagram"):
        body = _json(
            "GET", f"{base}/{handle}", params={"fields": "profile_pic"}, headers=bearer(token)
        )
        return str(body.get("profile_pic") or "") or None
    if kind == "x":
        body = _json(
            "GET",
            f"{base}/2/users/{handle}",
            params={"user.fields": "profile_image_url"},
            headers=bearer(token),
        )
        return str((body.get("data") or {}).get("profile_image_url") or "") or None
    if kind == "telegram":
        return _telegram_photo(base, token, handle)
    return None


def _telegram_photo(base: str, token: str, user_id: str) -> str | None:
    body = _json(
        "GET", f"{base}/bot{token}/getUserProfilePhotos", params={"user_id": user_id, "limit": 1}
    )
    photos = (body.get("result") or {}).get("photos") or []
    if not photos or not isinstance(photos[0], list) or not photos[0]:
        return None
    # Sizes come smallest first; the first one of at least 160 px is plenty for an avatar.
    sizes = [p for p in photos[0] if isinstance(p, dict) and p.get("file_id")]
    if not sizes:
        return None
    chosen = next(
        (p for p in sizes if min(p.get("width", 0), p.get("height", 0)) >= 160), sizes[-1]
    )
    got = _json("GET", f"{base}/bot{token}/getFile", params={"file_id": chosen["file_id"]})
    path = (got.get("result") or {}).get("file_path")
    if not path:
        return None
    # The file path is only valid for an hour; the unique id names the picture for good.
    return f"tg-file:{chosen.get('file_unique_id') or chosen['file_id']}:{path}"


def _json(method: str, url: str, **kwargs) -> dict:
    response = social_http.request(method, url, **kwargs)
    if response.status == 404:
        return {}
    if not response.ok:
        # A bad token or a user we may not see: nothing a retry fixes, nothing to clear.
        raise LookupRefused(f"profile look-up refused: HTTP {response.status}")
    return response.body


class LookupRefused(Exception):
    pass
