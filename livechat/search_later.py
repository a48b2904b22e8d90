"""Chat tickets re-indexed for search at most once every few seconds, not once a message.

A running chat gets a message every few seconds, and each re-index of its ticket
(tickets.search_queue) reads its latest hundred messages, tokenizes them and rewrites the
ticket's search vector — a row update that touches every index of the ticket table, GIN
included. Measured under the chat benchmark, that was close to half the worker's CPU per chat
message. So the chat's follow-ups (livechat/followups.py) hand their tickets here:

- a ticket not re-indexed in the last `THROTTLE_SECONDS` is marked for the search queue at
  once (searchable about a second later, as any ticket);
- one that was is parked in a Redis set, and one `flush_chat_search` task (queued once per
  window with a `THROTTLE_SECONDS` countdown) marks everything parked by then. A ticket is
  therefore searchable at most ~`THROTTLE_SECONDS` after its message, however busy the chat.

Nothing parked is lost: the set stays until a flush takes it; a flush task the broker lost
stops blocking new ones after `FLAG_TTL_SECONDS`, and the offer sweep (every five seconds,
livechat.tasks.sweep_chat_offers) flushes a set nobody is flushing. With Redis away the
tickets go straight to the search queue (which indexes inline when it cannot mark either).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterable

import redis
from django.conf import settings
from django.db import transaction

from tickets.search_queue import tickets_search_refresh_later

log = logging.getLogger(__name__)

THROTTLE_SECONDS = 10
FLAG_TTL_SECONDS = 60
FLUSH_SIZE = 10_000  # tickets a flush marks at most (the search queue batches them)


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _keys() -> tuple[str, str, str]:
    # Per database: several sites (and test databases) may share one Redis.
    base = f"madoguchi:livechat:search:{settings.DATABASES['default']['NAME']}"
    return f"{base}:recent:", f"{base}:parked", f"{base}:scheduled"


def refresh_later(ticket_ids: Iterable[int]) -> None:
    """After the current transaction commits: re-index these chat tickets now or, if they
    were re-indexed moments ago, with the next flush."""
    ids = sorted(set(ticket_ids))
    if ids:
        transaction.on_commit(lambda: _route(ids))


def _route(ticket_ids: list[int]) -> None:
    recent, parked, scheduled = _keys()
    try:
        pipe = _redis().pipeline(transaction=False)
        for ticket_id in ticket_ids:
            pipe.set(f"{recent}{ticket_id}", 1, nx=True, ex=THROTTLE_SECONDS)
        fresh = pipe.execute()
        now = [tid for tid, first in zip(ticket_ids, fresh, strict=True) if first]
        later = [tid for tid, first in zip(ticket_ids, fresh, strict=True) if not first]
        queue_flush = False
        if later:
            pipe = _redis().pipeline(transaction=False)
            pipe.sadd(parked, *later)
            pipe.set(scheduled, 1, nx=True, ex=FLAG_TTL_SECONDS)
            queue_flush = bool(pipe.execute()[-1])
    except redis.RedisError:
        log.warning("chat search throttle unavailable: re-indexing at once", exc_info=True)
        tickets_search_refresh_later(ticket_ids)
        return
    tickets_search_refresh_later(now)
    if queue_flush:
        _queue_flush()


def _queue_flush() -> None:
    from .tasks import flush_chat_search

    try:
        flush_chat_search.apply_async(countdown=THROTTLE_SECONDS)
    except Exception:  # noqa: BLE001 - the offer sweep flushes the set later
        log.warning("could not queue the chat search flush; the sweep will run it")
        with contextlib.suppress(redis.RedisError):
            _redis().delete(_keys()[2])


def flush() -> int:
    """Mark every parked ticket for the search queue; returns how many."""
    _recent, parked, scheduled = _keys()
    client = _redis()
    # Cleared first: a ticket parked from now on queues the next flush.
    client.delete(scheduled)
    ids = [int(member) for member in client.spop(parked, FLUSH_SIZE) or ()]
    tickets_search_refresh_later(ids)
    if client.scard(parked) and client.set(scheduled, 1, nx=True, ex=FLAG_TTL_SECONDS):
        _queue_flush()  # more than one flush takes: the rest a window later
    return len(ids)


def sweep() -> int:
    """The net (the offer sweep calls it): flush a parked set no flush task is on its way
    for. Returns how many were flushed."""
    _recent, parked, scheduled = _keys()
    try:
        client = _redis()
        if client.exists(scheduled) or not client.scard(parked):
            return 0
    except redis.RedisError:
        return 0
    return flush()
