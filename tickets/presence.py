"""Who is online, and who is viewing or typing on which ticket — kept in Redis, with expiry.

Redis, not the database and not process memory: every web process sees the same presence, and
an agent whose browser (or web process) vanished fades out on their own when the keys expire.

Layout (under KEY_PREFIX):
- `online`: sorted set, member user id, score = last time their socket was heard from;
- `ticket:<id>`: hash, field user id → JSON {"name", "state", "at"}; the key expires when
  nobody refreshes it, and readers drop entries older than VIEWING_TTL.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from functools import lru_cache

import redis
from django.conf import settings

log = logging.getLogger(__name__)

KEY_PREFIX = "madoguchi:presence"
ONLINE_WINDOW = 120  # seconds: agents_online() is who was heard from in the last two minutes
VIEWING_TTL = 60  # a page sends a heartbeat every 20 s; three missed and the agent is gone
TYPING_TTL = 8  # "is typing" fades quickly after the last keystroke
STATES = ("viewing", "typing")


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _client() -> redis.Redis:
    return _client_for(settings.REDIS_URL)


def _key(*parts: object) -> str:
    return ":".join((KEY_PREFIX, *(str(part) for part in parts)))


def touch_online(user_id: int, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    pipe = _client().pipeline()
    pipe.zadd(_key("online"), {str(user_id): now})
    # Trimming on write keeps the set as small as the team, however long it runs.
    pipe.zremrangebyscore(_key("online"), "-inf", now - ONLINE_WINDOW * 5)
    pipe.execute()


def agents_online(*, within: int = ONLINE_WINDOW) -> list[int]:
    """User ids of agents whose live socket was heard from in the last `within` seconds."""
    try:
        members = _client().zrangebyscore(_key("online"), time.time() - within, "+inf")
    except redis.RedisError:
        log.warning("presence: Redis unavailable, nobody counts as online", exc_info=True)
        return []
    return sorted(int(member) for member in members)


def set_state(*, ticket_id: int, user_id: int, name: str, state: str) -> None:
    """Record that this agent is viewing (or typing on) the ticket right now."""
    if state not in STATES:
        raise ValueError(state)
    now = time.time()
    entry = json.dumps({"name": name, "state": state, "at": now}, ensure_ascii=False)
    key = _key("ticket", ticket_id)
    pipe = _client().pipeline()
    pipe.hset(key, str(user_id), entry)
    pipe.expire(key, VIEWING_TTL * 2)
    pipe.zadd(_key("online"), {str(user_id): now})
    pipe.execute()


def leave(*, ticket_id: int, user_id: int) -> None:
    _client().hdel(_key("ticket", ticket_id), str(user_id))


def viewers(ticket_id: int) -> list[dict]:
    return viewers_for([ticket_id]).get(ticket_id, [])


def viewers_for(ticket_ids: Iterable[int]) -> dict[int, list[dict]]:
    """{ticket id: [{"id", "name", "state"}, …]} for the tickets someone is on; one round trip.

    Never raises: a Redis outage only hides presence, it does not break the inbox.
    """
    ids = list(ticket_ids)
    if not ids:
        return {}
    try:
        pipe = _client().pipeline()
        for ticket_id in ids:
            pipe.hgetall(_key("ticket", ticket_id))
        answers = pipe.execute()
    except redis.RedisError:
        log.warning("presence: Redis unavailable", exc_info=True)
        return {}
    now = time.time()
    result: dict[int, list[dict]] = {}
    for ticket_id, entries in zip(ids, answers, strict=True):
        people = [_entry(user, raw, now) for user, raw in entries.items()]
        people = sorted((p for p in people if p), key=lambda p: (p["state"] != "typing", p["id"]))
        if people:
            result[ticket_id] = people
    return result


def _entry(user: bytes, raw: bytes, now: float) -> dict | None:
    try:
        data = json.loads(raw)
        at = float(data["at"])
    except (ValueError, KeyError, TypeError):
        return None
    if now - at > VIEWING_TTL:
        return None
    state = data.get("state")
    if state == "typing" and now - at > TYPING_TTL:
        state = "viewing"
    return {"id": int(user), "name": str(data.get("name", "")), "state": state}
