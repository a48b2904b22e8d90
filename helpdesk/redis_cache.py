"""Django's Redis cache backend, keeping one Redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call (`get_client`). A
client is cheap to use but not to build: redis-py fills its response-callback tables
(hundreds of dict entries) in the constructor, ~0.2 ms of CPU each time, and every agent page
makes several cache calls (its session among them). A `redis.Redis` is safe to share between
threads (each command borrows a connection from the pool), so one per pool is kept.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
