"""Version counters in the shared cache, read at most once a second per process.

A cached thing (the help tree, search rankings) is stored under its counter's value; a write
moves the counter, so every process stops using the old copy. Asking the shared cache for the
counter on every read would cost a round trip per read, so each process remembers the value
for VERSION_RECHECK_SECONDS; its own writes reset that at once, and other processes see a
change within that time.
"""

from __future__ import annotations

import contextlib
import threading
import time

from django.core.cache import cache

VERSION_RECHECK_SECONDS = 1.0


class VersionCounters:
    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> int:
        now = time.monotonic()
        seen = self._seen.get(key)
        if seen is not None and now - seen[1] < VERSION_RECHECK_SECONDS:
            return seen[0]
        version = cache.get(key)
        if version is None:
            # First use, or the entry was lost: start from a number no old copy is stored under.
            cache.add(key, int(time.time() * 1000), timeout=None)
            version = cache.get(key, 0)
        with self._lock:
            self._seen[key] = (version, now)
        return version

    def bump(self, key: str) -> None:
        with contextlib.suppress(ValueError):  # no counter yet: the next reader starts one
            cache.incr(key)
        with self._lock:
            self._seen.pop(key, None)
