"""Small versioned JSON events to open inboxes, sent only after the transaction commits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

AGENTS_GROUP = "agents"
EVENT_VERSION = 1


def publish(event_type: str, **data: Any) -> None:
    """Queue `{"v": 1, "type": event_type, **data}` for every connected agent after commit.

    A rolled-back write publishes nothing; a channel layer that is down loses only the live
    nudge (pages still show the truth on their next load), never the write.
    """
    event = {"v": EVENT_VERSION, "type": event_type, **data}
    transaction.on_commit(lambda: _send(event))


def publish_many(events: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """`publish` for many (event_type, data) at once — an inbound batch: one hook after commit
    and one hand-over to the publisher's loop for all of them; every event still goes out, in
    order, as its own `publish` would have sent it."""
    batch = [{"v": EVENT_VERSION, "type": event_type, **data} for event_type, data in events]
    if batch:
        transaction.on_commit(lambda: _send_all(batch))


def _send(event: dict[str, Any]) -> None:
    _send_all([event])


def _send_all(events: list[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    messages = [{"type": "agent.event", "event": event} for event in events]
    try:
        if _in_event_loop():
            for message in messages:
                async_to_sync(layer.group_send)(AGENTS_GROUP, message)
        else:
            _publisher().send(layer, *messages)
    except Exception:  # noqa: BLE001 - see publish(): the write already happened
        log.warning("could not publish %s", events[0].get("type"), exc_info=True)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Publisher:
    """One event loop per process, in a daemon thread, that every synchronous publish uses.

    `async_to_sync` on a plain thread starts a new loop per call, and channels-redis opens new
    connections per loop: ~6 ms a publish, more than storing the mail it announces. Here the
    connections stay open; a publish waits only for its own send (so order and failures are
    as before).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.layer = None
        threading.Thread(
            target=self.loop.run_forever, name="realtime-publisher", daemon=True
        ).start()

    def send(self, layer, *messages: dict[str, Any]) -> None:
        future = asyncio.run_coroutine_threadsafe(self._send(layer, messages), self.loop)
        future.result(timeout=SEND_TIMEOUT)

    async def _send(self, layer, messages) -> None:
        if layer is not self.layer:  # settings changed (tests): drop the old layer's sockets
            old, self.layer = self.layer, layer
            loop_layer = getattr(old, "_layers", {}).pop(self.loop, None)
            if loop_layer is not None:
                with contextlib.suppress(Exception):
                    await loop_layer.flush()
        for message in messages:
            await layer.group_send(AGENTS_GROUP, message)


SEND_TIMEOUT = 5.0
_publisher_lock = threading.Lock()
_current: _Publisher | None = None


def _publisher() -> _Publisher:
    global _current
    with _publisher_lock:
        if _current is None or _current.pid != os.getpid():  # a forked worker needs its own
            _current = _Publisher()
        return _current
