"""Run the chat sockets' database work off the event loop, several frames at a time.

Channels' `database_sync_to_async` defaults to `thread_sensitive=True`: every call of every
socket of the process waits for one shared thread, so one slow query held up all chats of the
process (the benchmark saturated at a few messages a second). Chat services keep no state in
the thread — each call opens its own transaction on its thread's connection, and one socket's
frames still run one after another (a consumer awaits each frame before reading the next) — so
they run on a pool of `settings.ASGI_THREADS` threads instead, each with its own connection
borrowed from the process's connection pool (see helpdesk/settings.py).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from channels.db import database_sync_to_async
from django.conf import settings

T = TypeVar("T")

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=max(1, int(getattr(settings, "ASGI_THREADS", 8))),
                thread_name_prefix="livechat-db",
            )
        return _executor


def run_db(func: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """`await run_db(service)(...)`: the call on a chat thread, its connection tidied after."""
    return database_sync_to_async(func, thread_sensitive=False, executor=executor())
