"""Small versioned JSON events to open inboxes, sent only after the transaction commits."""

from __future__ import annotations

import logging
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


def _send(event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(AGENTS_GROUP, {"type": "agent.event", "event": event})
    except Exception:  # noqa: BLE001 - see publish(): the write already happened
        log.warning("could not publish %s", event.get("type"), exc_info=True)
