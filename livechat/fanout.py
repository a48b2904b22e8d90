"""A fast-path message's live frames and its follow-up flag, in one Redis round trip.

After a fast-path commit a message goes to every open agent inbox (`message.created`), to the
chat's visitors (an agent's reply, "agent joined") or the visitor's other tabs, and the
follow-ups (livechat/followups.py) must be on their way. Through the channel layer that was a
`group_send` each — one PUBLISH per call, each waiting its turn behind the layer's per-process
lock and its reply — and one more round trip for the follow-up flag. With the Redis pub/sub
layer on the Redis the chat uses (the default configuration), this sends the same PUBLISHes —
same channel names, same serialization, so subscribers see exactly what `group_send` sends —
and the flag's `SET NX` in one pipeline. Any other layer gets the plain `group_send`s.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from . import followups
from .asyncdb import run_db
from .ratelimit import async_client

log = logging.getLogger(__name__)


def _pubsub_layer(layer: Any) -> Any:
    """The pub/sub layer's per-loop part when its Redis is the chat's own, else None."""
    try:
        from channels_redis.pubsub import RedisPubSubChannelLayer
    except ImportError:  # pragma: no cover - channels-redis is a dependency
        return None
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    config = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {})
    if list(config.get("hosts") or []) != [settings.REDIS_URL]:
        return None
    return layer._get_layer()  # noqa: SLF001 - its group channel naming, see module doc


async def send(layer: Any, sends: list[tuple[str, dict[str, Any]]]) -> None:
    """`group_send` each (group, message) in order, then make sure the follow-ups run.

    A Redis that is down loses only the live nudges (the state is in PostgreSQL; pages and
    the widget's `since` replay show it) and leaves the follow-ups to the next run or the
    ingest sweep, as `followups.schedule` does."""
    flag = followups.flag_needed()
    queued = False
    loop_layer = _pubsub_layer(layer) if layer is not None else None
    try:
        if loop_layer is not None:
            async with async_client().pipeline(transaction=False) as pipe:
                for group, message in sends:
                    channel = loop_layer._get_group_channel_name(group)  # noqa: SLF001
                    pipe.publish(channel, layer.serialize(message))
                if flag:
                    pipe.set(followups.flag_name(), 1, nx=True, ex=followups.FLAG_TTL_SECONDS)
                results = await pipe.execute()
            queued = flag and bool(results[-1])
            flag = False
        elif layer is not None:
            for group, message in sends:
                await layer.group_send(group, message)
    except Exception:  # noqa: BLE001 - see above: stored is stored
        log.warning("could not send chat frames to %s", [g for g, _ in sends], exc_info=True)
    if flag:
        try:
            queued = bool(
                await async_client().set(
                    followups.flag_name(), 1, nx=True, ex=followups.FLAG_TTL_SECONDS
                )
            )
        except Exception:  # noqa: BLE001 - the next run or the ingest sweep applies them
            log.warning("could not queue chat follow-ups", exc_info=True)
    if queued:
        await run_db(followups.queue_run)()
