"""X without the Account Activity webhook: poll mentions and direct messages (API v2).

Contract (docs.x.com/x-api):
- mentions: GET /2/users/{id}/mentions?since_id=…&max_results=…&pagination_token=… →
  `{"data": [{"id", "text", "author_id", "created_at", "referenced_tweets",
  "attachments": {"media_keys"}}], "includes": {"users": [...], "media": [...]},
  "meta": {"newest_id", "result_count", "next_token"}}` (newest first);
- DMs: GET /2/dm_events?pagination_token=… → `{"data": [{"id", "event_type": "MessageCreate",
  "text", "sender_id", "created_at", "attachments"}], "includes", "meta": {"next_token"}}`,
  newest first, with no since_id: we page until we reach the checkpoint.

Every polled item is stored as its own InboundEvent before anything else, under the same
idempotency key a webhook delivery of it would get ("<account>:tweet:<id>", "…:dm:<id>"), so
switching between webhook and polling, or a poll that overlaps the last one, files nothing
twice. Each item is rewritten into the Account Activity shape the X adapter already parses;
the checkpoint moves only after every item of the poll is stored.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services, social_http
from .models import SocialAccount, SocialKind
from .social_common import EVENT_HEADER, bearer

log = logging.getLogger(__name__)

PAGE_SIZE = 100
# A first poll (no checkpoint) backfills one page; later polls follow at most this many pages
# (rate limits: better to catch up over several polls than to be locked out).
MAX_PAGES = 5
TWEET_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets"
DM_FIELDS = "id,text,event_type,created_at,sender_id,dm_conversation_id,attachments"
USER_FIELDS = "name,username,profile_image_url"
MEDIA_FIELDS = "url,type,preview_image_url"


@dataclass(frozen=True)
class PollResult:
    stored: int = 0
    duplicates: int = 0
    error: str = ""


def accounts_to_poll() -> list[int]:
    return list(
        SocialAccount.objects.filter(kind=SocialKind.X, active=True, poll_enabled=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def poll_account(account_id: int) -> PollResult:
    """One poll of mentions and DMs. Provider trouble is stored on the account (and the
    checkpoint stays), never raised: the next tick simply tries again."""
    account = SocialAccount.objects.get(pk=account_id)
    state = dict(account.poll_state or {})
    stored = duplicates = 0
    error = ""
    for stream, fetch in (("mentions", _mention_items), ("dms", _dm_items)):
        try:
            items, newest = fetch(account, state.get(stream, ""))
        except (social_http.ProviderUnavailable, PollRefused) as exc:
            error = _("Polling X %(stream)s failed: %(e)s") % {"stream": stream, "e": exc}
            log.warning("X poll of account %s: %s", account.pk, error)
            continue
        with transaction.atomic():
            for key, body in reversed(items):  # oldest first: the thread reads in order
                _event, created = services.record_inbound(
                    kind="x",
                    payload=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    idempotency_key=f"{account.pk}:{key}",
                    headers={EVENT_HEADER: key, "source": f"poll:{stream}"},
                    account_id=str(account.pk),
                )
                stored += created
                duplicates += not created
            if newest:
                state[stream] = newest
    account.poll_state = state
    account.last_polled_at = timezone.now()
    account.last_error = error
    account.save(update_fields=["poll_state", "last_polled_at", "last_error", "updated_at"])
    return PollResult(stored, duplicates, error)


class PollRefused(Exception):
    """X answered with an error that is not transient (bad token, missing scope)."""


def _get(account: SocialAccount, path: str, params: dict) -> dict:
    response = social_http.request(
        "GET",
        f"{social_http.base_url(account)}{path}",
        params=params,
        headers=bearer(account.get_access_token()),
    )
    if not response.ok:
        errors = response.body.get("errors") or [{}]
        detail = response.body.get("detail") or errors[0].get("message") or response.text[:300]
        raise PollRefused(f"HTTP {response.status}: {detail}")
    return response.body


def _mention_items(account: SocialAccount, since_id: str) -> tuple[list, str]:
    params = {
        "max_results": PAGE_SIZE,
        "tweet.fields": TWEET_FIELDS,
        "expansions": "author_id,attachments.media_keys",
        "user.fields": USER_FIELDS,
        "media.fields": MEDIA_FIELDS,
    }
    if since_id:
        params["since_id"] = since_id
    items, newest = [], ""
    for _page in range(MAX_PAGES if since_id else 1):
        body = _get(account, f"/2/users/{account.external_id}/mentions", params)
        newest = newest or str((body.get("meta") or {}).get("newest_id") or "")
        users, media = _includes(body)
        for tweet in body.get("data") or []:
            if isinstance(tweet, dict) and tweet.get("id"):
                items.append((f"tweet:{tweet['id']}", _tweet_body(tweet, users, media)))
        next_token = (body.get("meta") or {}).get("next_token")
        if not next_token:
            break
        params["pagination_token"] = next_token
    return items, newest or since_id


def _dm_items(account: SocialAccount, checkpoint: str) -> tuple[list, str]:
    params = {
        "max_results": PAGE_SIZE,
        "dm_event.fields": DM_FIELDS,
        "expansions": "sender_id,attachments.media_keys",
        "user.fields": USER_FIELDS,
        "media.fields": MEDIA_FIELDS,
    }
    items, newest = [], checkpoint
    for _page in range(MAX_PAGES if checkpoint else 1):
        body = _get(account, "/2/dm_events", params)
        users, media = _includes(body)
        reached = False
        for event in body.get("data") or []:
            if not isinstance(event, dict) or not str(event.get("id", "")).isdecimal():
                continue
            if checkpoint and int(event["id"]) <= int(checkpoint):
                reached = True
                break
            if not newest or int(event["id"]) > int(newest):
                newest = str(event["id"])
            if event.get("event_type") == "MessageCreate":
                items.append((f"dm:{event['id']}", _dm_body(event, users, media, account)))
        next_token = (body.get("meta") or {}).get("next_token")
        if reached or not next_token:
            break
        params["pagination_token"] = next_token
    return items, newest


def _includes(body: dict) -> tuple[dict, dict]:
    includes = body.get("includes") or {}
    users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict)}
    media = {str(m.get("media_key")): m for m in includes.get("media") or [] if isinstance(m, dict)}
    return users, media


def _v1_user(user: dict) -> dict:
    return {
        "id_str": str(user.get("id", "")),
        "name": user.get("name", ""),
        "screen_name": user.get("username", ""),
        "profile_image_url_https": user.get("profile_image_url", ""),
    }


def _media_urls(item: dict, media: dict) -> list[dict]:
    keys = (item.get("attachments") or {}).get("media_keys") or []
    found = [media.get(str(key)) or {} for key in keys]
    return [m for m in found if m.get("url") or m.get("preview_image_url")]


def _tweet_body(tweet: dict, users: dict, media: dict) -> dict:
    author = users.get(str(tweet.get("author_id")), {"id": tweet.get("author_id")})
    replied_to = next(
        (
            str(ref.get("id"))
            for ref in tweet.get("referenced_tweets") or []
            if isinstance(ref, dict) and ref.get("type") == "replied_to"
        ),
        None,
    )
    retweet = any(
        isinstance(ref, dict) and ref.get("type") == "retweeted"
        for ref in tweet.get("referenced_tweets") or []
    )
    converted = {
        "id_str": str(tweet["id"]),
        "text": tweet.get("text", ""),
        "created_at": tweet.get("created_at", ""),
        "user": _v1_user(author),
        "entities": {
            "media": [
                {"media_url_https": m.get("url") or m.get("preview_image_url")}
                for m in _media_urls(tweet, media)
            ]
        },
    }
    if replied_to:
        converted["in_reply_to_status_id_str"] = replied_to
    if retweet:
        converted["retweeted_status"] = {}
    return {"tweet_create_events": [converted], "x_api_v2": tweet}


def _dm_body(event: dict, users: dict, media: dict, account: SocialAccount) -> dict:
    sender = str(event.get("sender_id", ""))
    data = {"text": event.get("text", "")}
    found = _media_urls(event, media)
    if found:
        data["attachment"] = {
            "type": "media",
            "media": {
                "media_url_https": found[0].get("url") or found[0].get("preview_image_url"),
                "type": found[0].get("type", "photo"),
            },
        }
    return {
        "for_user_id": account.external_id,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": str(event["id"]),
                "created_timestamp": _millis(event.get("created_at", "")),
                "message_create": {"sender_id": sender, "message_data": data},
            }
        ],
        "users": {sender: _v1_user(users.get(sender, {"id": sender}))} if sender else {},
        "x_api_v2": event,
    }


def _millis(iso: str) -> str:
    try:
        return str(int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000))
    except ValueError:
        return ""
