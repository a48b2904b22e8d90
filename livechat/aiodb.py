"""The chat fast paths' one statement, run on the socket's event loop.

A visitor message or an agent reply on the fast path is one prepared statement
(livechat/fastpath.py, agent_fastpath.py). Handing it to a thread cost more CPU than the
statement itself: the executor hand-over and wake-up, the context copy, and Django's
connection tidy-up before and after (with the pool: a checkout and a return per frame). Here
the statement runs on a few autocommit `psycopg.AsyncConnection`s kept per event loop, each
preparing the statement once (`prepare=True`), and the loop serves other sockets while
PostgreSQL works.

Everything else the chat stores (hello, profile, files, the general path) still runs through
`run_db` (livechat.asyncdb) with Django's connections.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

# psycopg's own default; the fast paths ask for `prepare=True` and are prepared at once.
PREPARE_THRESHOLD = 5

_lock = threading.Lock()
_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Every connection not closed yet, held strongly: a loop that is gone (a test's) must not
# leave its connections to the garbage collector, still open to the database.
_opened: set[psycopg.AsyncConnection] = set()


def _size() -> int:
    return max(1, min(int(getattr(settings, "ASGI_THREADS", 8)), 8))


def _connect_params() -> dict[str, Any]:
    """Django's own connection parameters (database, host, adapters), for an async
    connection: the same database the ORM writes, in tests the test database."""
    params = dict(connection.get_connection_params())
    params.pop("cursor_factory", None)  # Django's (sync) cursor class
    # Django passes `prepare_threshold=None`, which turns preparing off altogether — even
    # `execute(prepare=True)` then sends the statement unprepared and PostgreSQL plans the
    # CTE afresh each time: ~1.7 ms of its CPU a message, more than running it. Prepared,
    # PostgreSQL settles on the generic plan after five executions and only runs it.
    params["prepare_threshold"] = PREPARE_THRESHOLD
    return params


class _Connections:
    """A handful of connections of one event loop, at most `size` in use at once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: list[psycopg.AsyncConnection] = []
        self.gate = asyncio.Semaphore(size)

    async def fetchone(self, statement: str, params: dict[str, Any]) -> tuple | None:
        async with self.gate:
            for attempt in (1, 2):
                reused = bool(self.idle)
                conn = self.idle.pop() if reused else await self._connect()
                try:
                    async with conn.cursor() as cursor:
                        await cursor.execute(statement, params, prepare=True)
                        row = await cursor.fetchone()
                except psycopg.OperationalError:
                    await _discard(conn)
                    if not reused or attempt == 2:
                        raise
                    # An idle connection the server dropped (a restart, an idle timeout):
                    # once more on a new one. The statements are idempotent (client ids).
                    log.info("chat fast path: reconnecting to PostgreSQL", exc_info=True)
                    continue
                except BaseException:
                    await _discard(conn)  # cancelled mid-statement: its state is unknown
                    raise
                self.idle.append(conn)
                return row
        return None  # not reached: the loop returns or raises

    async def _connect(self) -> psycopg.AsyncConnection:
        conn = await psycopg.AsyncConnection.connect(autocommit=True, **_connect_params())
        with _lock:
            _opened.add(conn)
        return conn


async def _discard(conn: psycopg.AsyncConnection) -> None:
    with _lock:
        _opened.discard(conn)
    try:
        await conn.close()
    except Exception:  # noqa: BLE001 - it is being thrown away anyway
        log.debug("closing a broken chat connection failed", exc_info=True)


def _connections() -> _Connections:
    loop = asyncio.get_running_loop()
    with _lock:
        found = _by_loop.get(loop)
        if found is None:
            found = _by_loop[loop] = _Connections(_size())
        return found


async def fetchone(statement: str, params: dict[str, Any]) -> tuple | None:
    """Run `statement` (prepared per connection) with `params` in autocommit; its first row."""
    return await _connections().fetchone(statement, params)


def close_all() -> None:
    """Close every connection, of every loop (tests, before their database is dropped; the
    loops are done by then). libpq's own close: synchronous, from any thread."""
    with _lock:
        opened = list(_opened)
        _opened.clear()
        for pool in _by_loop.values():
            pool.idle.clear()
    for conn in opened:
        if not conn.closed:
            conn.pgconn.finish()
