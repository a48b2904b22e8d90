"""Poll X recent search for each monitor, store new posts once, back off when rate limited.

Contract (docs.x.com, GET /2/tweets/search/recent): `query` (at most 512 characters, operators
such as `lang:ja`, `-is:retweet`, `-from:<id>`), `since_id`, `max_results` (10–100),
`next_token` for the following page; answer `{"data": [{"id", "text", "author_id",
"created_at", "lang", "entities": {"mentions": [{"username", "id"}]}}], "includes": {"users":
[...]}, "meta": {"newest_id", "result_count", "next_token"}}`, newest first. 429 carries
`x-rate-limit-reset` (epoch seconds): no poll of that monitor before then.

Posts that tag our account are left out: they arrive as mentions and become tickets anyway.
The checkpoint (since_id) moves only after every page of the poll is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import social_http
from ..social_common import bearer
from .models import ListeningMonitor, ListeningPost
from .sentiment import score_text

log = logging.getLogger(__name__)

MAX_QUERY = 512
PAGE_SIZE = 100
MAX_PAGES = 3  # per poll: better to catch up over several polls than to hit the limit
BACKOFF_CAP = timedelta(hours=1)


@dataclass(frozen=True)
class PollOutcome:
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    error: str = ""


def build_query(monitor: ListeningMonitor) -> str:
    words = [_quoted(w) for w in monitor.keyword_list()]
    query = "(" + " OR ".join(words) + ")" if len(words) > 1 else (words[0] if words else "")
    query += "".join(f" -{_quoted(w)}" for w in monitor.excluded_list())
    if monitor.language:
        query += f" lang:{monitor.language}"
    query += " -is:retweet"
    if monitor.account.external_id:
        query += f" -from:{monitor.account.external_id}"
    return query


def _quoted(word: str) -> str:
    word = word.replace('"', "").strip()
    simple = word.isascii() and word.replace("_", "").replace("#", "").isalnum()
    return word if simple else f'"{word}"'


def monitors_due(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    due = ListeningMonitor.objects.filter(active=True, account__active=True).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
    )
    ids = []
    for monitor in due.only("pk", "last_polled_at", "poll_interval_minutes"):
        interval = timedelta(minutes=monitor.poll_interval_minutes)
        if monitor.last_polled_at is None or monitor.last_polled_at + interval <= now:
            ids.append(monitor.pk)
    return ids


def poll_monitor(monitor_id: int) -> PollOutcome:
    """One poll. Provider trouble is stored on the monitor (with a time before which it is
    not polled again), never raised: beat simply tries again later."""
    monitor = ListeningMonitor.objects.select_related("account").get(pk=monitor_id)
    try:
        posts, users, newest = _search(monitor)
    except social_http.RateLimited as exc:
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else _backoff(monitor)
        return _failed(
            monitor,
            _("X rate limit reached: paused until %(time)s.")
            % {
                "time": timezone.localtime(timezone.now() + wait).strftime("%Y-%m-%d %H:%M"),
            },
            wait,
        )
    except (social_http.ProviderUnavailable, SearchRefused) as exc:
        return _failed(monitor, _("Search failed: %(e)s") % {"e": exc}, _backoff(monitor))
    stored = duplicates = skipped = 0
    ours = {monitor.account.external_id} - {""}
    with transaction.atomic():
        for post in reversed(posts):  # oldest first
            if _tags_us(post, ours) or str(post.get("author_id")) in ours:
                skipped += 1
                continue
            created = _store(monitor, post, users)
            stored += created
            duplicates += not created
        ListeningMonitor.objects.filter(pk=monitor.pk).update(
            since_id=newest or monitor.since_id,
            last_polled_at=timezone.now(),
            next_poll_at=None,
            failures=0,
            last_error="",
        )
    return PollOutcome(stored, duplicates, skipped)


class SearchRefused(Exception):
    """X answered with an error a retry will not fix soon (bad token, bad query)."""


def _search(monitor: ListeningMonitor) -> tuple[list[dict], dict, str]:
    params = {
        "query": build_query(monitor),
        "max_results": PAGE_SIZE,
        "tweet.fields": "created_at,author_id,lang,entities,conversation_id",
        "expansions": "author_id",
        "user.fields": "name,username,profile_image_url",
    }
    if monitor.since_id:
        params["since_id"] = monitor.since_id
    url = f"{social_http.base_url(monitor.account)}/2/tweets/search/recent"
    headers = bearer(monitor.account.get_access_token())
    posts, users, newest = [], {}, ""
    for _page in range(MAX_PAGES if monitor.since_id else 1):
        response = social_http.request("GET", url, params=params, headers=headers)
        if not response.ok:
            errors = response.body.get("errors") or [{}]
            detail = (
                response.body.get("detail")
                or (errors[0].get("message") if isinstance(errors[0], dict) else "")
                or response.text[:300]
            )
            raise SearchRefused(f"HTTP {response.status}: {detail}")
        meta = response.body.get("meta") or {}
        newest = newest or str(meta.get("newest_id") or "")
        for user in (response.body.get("includes") or {}).get("users") or []:
            if isinstance(user, dict) and user.get("id"):
                users[str(user["id"])] = user
        posts += [
            p
            for p in response.body.get("data") or []
            if isinstance(p, dict)
            and str(p.get("id", "")).isdecimal()
            and isinstance(p.get("text"), str)
        ]
        if not meta.get("next_token"):
            break
        params["next_token"] = meta["next_token"]
    return posts, users, newest


def _tags_us(post: dict, ours: set[str]) -> bool:
    mentions = (post.get("entities") or {}).get("mentions") or []
    return any(isinstance(m, dict) and str(m.get("id", "")) in ours for m in mentions)


def _store(monitor: ListeningMonitor, post: dict, users: dict) -> bool:
    author = users.get(str(post.get("author_id")), {})
    sentiment = score_text(post["text"])
    _row, created = ListeningPost.objects.get_or_create(
        post_id=str(post["id"]),
        defaults={
            "monitor": monitor,
            "author_id": str(post.get("author_id", ""))[:40],
            "author_username": str(author.get("username", ""))[:100],
            "author_name": str(author.get("name", ""))[:200],
            "text": post["text"][:5000],
            "lang": str(post.get("lang", ""))[:10],
            "posted_at": _parse_time(post.get("created_at")),
            "raw": {"post": post, "author": author},
            "sentiment": max(min(sentiment.score, 999), -999),
            "sentiment_words": sentiment.words,
        },
    )
    return created


def _parse_time(value) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _backoff(monitor: ListeningMonitor) -> timedelta:
    return min(timedelta(minutes=2 ** min(monitor.failures, 10)), BACKOFF_CAP)


def _failed(monitor: ListeningMonitor, error: str, wait: timedelta) -> PollOutcome:
    log.warning("listening monitor %s: %s", monitor.pk, error)
    ListeningMonitor.objects.filter(pk=monitor.pk).update(
        last_polled_at=timezone.now(),
        next_poll_at=timezone.now() + wait,
        failures=F("failures") + 1,
        last_error=error,
    )
    return PollOutcome(error=error)
