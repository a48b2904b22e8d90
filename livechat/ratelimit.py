"""Fixed-window counters in Redis for the chat's rate limits (frames, messages, sessions,
uploads, transcripts).

One round trip a check (INCR and EXPIRE pipelined): the per-frame check runs for every frame
of every socket, where Django's cache API needed three (add, exists, incr). The socket's own
check is asynchronous, so a frame does not wait for a thread just to count itself.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Sequence

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.utils import timezone

PREFIX = "madoguchi:livechat:rl"

_lock = threading.Lock()
_sync_clients: dict[str, redis.Redis] = {}
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _key(bucket: str, key: str, window: int) -> str:
    slot = int(timezone.now().timestamp()) // window
    return f"{PREFIX}:{bucket}:{key}:{slot}"


def _sync_client() -> redis.Redis:
    url = settings.REDIS_URL
    with _lock:
        client = _sync_clients.get(url)
        if client is None:
            client = _sync_clients[url] = redis.Redis.from_url(url)
        return client


def async_client() -> aioredis.Redis:
    """One client per event loop (asyncio connections belong to the loop that made them)."""
    loop = asyncio.get_running_loop()
    url = settings.REDIS_URL
    known = _async_clients.get(loop)
    if known is None or known[0] != url:
        known = _async_clients[loop] = (url, aioredis.Redis.from_url(url))
    return known[1]


def rate_limited(bucket: str, key: str, limit: int, window: int = 60) -> bool:
    """True once `limit` is passed within the current window."""
    name = _key(bucket, key, window)
    pipe = _sync_client().pipeline(transaction=False)
    pipe.incr(name)
    pipe.expire(name, window * 2)
    count, _ = pipe.execute()
    return count > limit


async def arate_limited(bucket: str, key: str, limit: int, window: int = 60) -> bool:
    return (await acount(key, [(bucket, limit)], window))[0]


async def acount(key: str, buckets: Sequence[tuple[str, int]], window: int = 60) -> list[bool]:
    """`arate_limited` for several (bucket, limit) of one key in one round trip: a visitor's
    `message` frame counts as a frame and as a message at once."""
    names = [_key(bucket, key, window) for bucket, _ in buckets]
    async with async_client().pipeline(transaction=False) as pipe:
        for name in names:
            pipe.incr(name)
            pipe.expire(name, window * 2)
        results = await pipe.execute()
    return [count > limit for count, (_, limit) in zip(results[::2], buckets, strict=True)]
