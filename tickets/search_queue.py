"""Ticket search vectors refreshed a moment after the write, in batches, off the write's path.

Tokenizing a ticket's texts (Sudachi for Japanese) and rewriting its vector costs more than
storing an inbound mail itself, and during a burst the same ticket is re-indexed for every
message. So the inbound path only *marks* the ticket: after its transaction commits, the ticket
id goes into a Redis set and, unless one is already on its way, one Celery task is queued on
the `default` queue (never the `ingest` queue, so indexing cannot hold mail back) with a short
countdown. That task re-indexes everything marked by then in batches of
`search_index.BATCH_SIZE` (three queries a batch), so a ticket is searchable within about
`DEBOUNCE_SECONDS` of its message being committed.

Nothing marked is lost: ids leave the set only after their batch committed; a worker killed
mid-batch leaves them for the redelivered task (acks late) or the beat sweep
(`tickets.tasks.sweep_search_queue`); with Redis down the ticket is indexed at once, inline.
"""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings
from django.db import transaction

from .search_index import BATCH_SIZE, tickets_search_refresh

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 1.0
# A queued task that never ran (broker lost it) stops blocking new ones after this long.
SCHEDULED_FLAG_TTL = 30


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _keys() -> tuple[str, str, str]:
    # Per database: several sites (and test databases) may share one Redis.
    name = settings.DATABASES["default"]["NAME"]
    base = f"madoguchi:search-queue:{name}"
    return f"{base}:pending", f"{base}:sequence", f"{base}:scheduled"


# Each mark scores the ticket with a new sequence number, so a batch that read a ticket before a
# newer mark removes only the marks it saw: the newer one stays for the next run.
_MARK = """
local sequence = redis.call('incr', KEYS[2])
redis.call('zadd', KEYS[1], sequence, ARGV[1])
return redis.call('set', KEYS[3], 1, 'NX', 'EX', ARGV[2])
"""
_UNMARK = """
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('zscore', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    removed = removed + redis.call('zrem', KEYS[1], ARGV[i])
  end
end
return removed
"""


def ticket_search_refresh_later(ticket_id: int) -> None:
    """Re-index this ticket shortly after the current transaction commits (or inline, now,
    when Redis cannot take the mark)."""
    transaction.on_commit(lambda: _mark(ticket_id))


def tickets_search_refresh_later(ticket_ids: list[int]) -> None:
    """`ticket_search_refresh_later` for many tickets (an inbound batch): one hook after
    commit, every mark in one pipelined round trip to Redis."""
    if ticket_ids:
        transaction.on_commit(lambda: _mark_all(list(dict.fromkeys(ticket_ids))))


def _mark_all(ticket_ids: list[int]) -> None:
    try:
        pipe = _redis().pipeline(transaction=False)
        for ticket_id in ticket_ids:
            pipe.eval(_MARK, 3, *_keys(), ticket_id, SCHEDULED_FLAG_TTL)
        firsts = pipe.execute()
    except redis.RedisError as exc:
        log.warning("search queue unavailable (%s): indexing %d inline", exc, len(ticket_ids))
        tickets_search_refresh(ticket_ids)
        return
    if any(firsts):
        _schedule()


def _mark(ticket_id: int) -> None:
    try:
        first = _redis().eval(_MARK, 3, *_keys(), ticket_id, SCHEDULED_FLAG_TTL)
    except redis.RedisError as exc:
        log.warning("search queue unavailable (%s): indexing ticket %s inline", exc, ticket_id)
        tickets_search_refresh([ticket_id])
        return
    if first:
        _schedule()


def _schedule() -> None:
    from .tasks import refresh_search_queue

    try:
        refresh_search_queue.apply_async(countdown=DEBOUNCE_SECONDS)
    except Exception:  # noqa: BLE001 - the beat sweep drains the queue later
        log.warning("could not queue the search refresh; the sweep will run it")
        _redis().delete(_keys()[2])


def drain_search_queue() -> int:
    """Re-index every marked ticket, oldest marks first; returns how many were refreshed."""
    pending, _sequence, scheduled = _keys()
    client = _redis()
    # Cleared first: a mark made from now on queues a new task, so none waits for the sweep.
    client.delete(scheduled)
    done, after = 0, 0
    while True:
        batch = client.zrangebyscore(
            pending,
            f"({after}",
            "+inf",
            start=0,
            num=BATCH_SIZE,
            withscores=True,
            score_cast_func=int,
        )
        if not batch:
            return done
        done += tickets_search_refresh([int(member) for member, _score in batch])
        # Only after the batch's UPDATE committed (autocommit), and only the marks it saw.
        pairs = [value for member, score in batch for value in (member, score)]
        client.eval(_UNMARK, 1, pending, *pairs)
        after = batch[-1][1]


def pending_count() -> int:
    return int(_redis().zcard(_keys()[0]))
