"""helpdesk.redis_cache: Django's Redis cache, with one client per pool rather than per call."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches

from helpdesk.redis_cache import SharedClientRedisCache


def test_the_cache_is_the_shared_client_backend_and_reuses_its_client():
    backend = caches["default"]
    assert isinstance(backend, SharedClientRedisCache)
    first = backend._cache.get_client("a")
    assert backend._cache.get_client("b") is first
    assert backend._cache.get_client("c", write=True) is first  # one server: one pool


@pytest.mark.parametrize("value", [1, "窓口", {"nested": [1, 2]}, b"\x00bytes"])
def test_values_go_in_and_come_out_unchanged(value):
    cache.set("redis-cache-test", value, 30)
    assert cache.get("redis-cache-test") == value
    assert cache.add("redis-cache-test", "other") is False
    cache.delete("redis-cache-test")
    assert cache.get("redis-cache-test", "gone") == "gone"


def test_a_lost_connection_is_made_again():
    cache.set("redis-cache-test", "kept", 30)
    client = caches["default"]._cache.get_client()
    client.connection_pool.disconnect()  # as after a Redis restart

    assert cache.get("redis-cache-test") == "kept"
    cache.delete("redis-cache-test")
