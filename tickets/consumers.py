"""The agent's live socket: joins the agents group, forwards events, relays presence.

No rules here: frames are parsed and checked for shape, then presence (tickets.presence) and the
channel layer do the work. Frames an agent's browser may send:
- `{"type": "ping"}` → `{"type": "pong"}` (also marks the agent online);
- `{"type": "presence", "ticket": 12, "state": "viewing" | "typing" | "left"}`.
"""

from __future__ import annotations

import asyncio
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import access, presence
from .realtime import AGENTS_GROUP, EVENT_VERSION

MAX_FRAME_CHARS = 4096
# A browser sends "typing" on keystrokes; relaying each one would flood every inbox.
SAME_STATE_QUIET_SECONDS = 2.0
# Channel-layer events forwarded in one go at most (see `agent_event`).
MAX_DRAINED = 200


class AgentConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message: dict) -> None:
        # Channels' own dispatch first hops to its one shared sync thread to tidy database
        # connections, for every frame and every event: each live event an inbox receives
        # queued behind every other socket's hop. Database work here goes through
        # database_sync_to_async, which tidies its own connection.
        from channels.consumer import get_handler_name

        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_staff_member):
            await self.close(code=4403)
            return
        self.user = user
        self.name = user.display_name
        self.tickets: dict[int, tuple[str, float]] = {}  # ticket → (last state, when)
        self.known_tickets: set[int] = set()
        # Decided once per connection: with "all" visibility no event needs a database check.
        self.sees_all = await database_sync_to_async(access.sees_all)(user)
        await self.channel_layer.group_add(AGENTS_GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"v": EVENT_VERSION, "type": "hello"})
        await database_sync_to_async(presence.touch_online)(user.pk)

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(AGENTS_GROUP, self.channel_name)
        for ticket_id in list(getattr(self, "tickets", {})):
            await self._set(ticket_id, "left")

    @classmethod
    async def decode_json(cls, text_data):
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            return {"type": "oversized"}
        try:
            return json.loads(text_data)
        except (TypeError, ValueError):
            return {"type": "malformed"}

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await database_sync_to_async(presence.touch_online)(self.user.pk)
            await self.send_json({"v": EVENT_VERSION, "type": "pong"})
        elif kind == "presence":
            await self._presence_frame(content)
        else:
            await self._error("unknown or malformed frame")

    async def _presence_frame(self, content: dict) -> None:
        ticket_id, state = content.get("ticket"), content.get("state")
        if not (isinstance(ticket_id, int) and not isinstance(ticket_id, bool)) or not (
            0 < ticket_id < 2**31
        ):
            await self._error("presence needs a ticket id")
            return
        if state not in ("viewing", "typing", "left"):
            await self._error("presence state must be viewing, typing or left")
            return
        if state != "left" and ticket_id not in self.known_tickets:
            if not await database_sync_to_async(_ticket_visible)(ticket_id, self.user):
                await self._error("no such ticket")
                return
            self.known_tickets.add(ticket_id)
        last = self.tickets.get(ticket_id)
        now = time.monotonic()
        if last and last[0] == state and now - last[1] < SAME_STATE_QUIET_SECONDS:
            return
        await self._set(ticket_id, state)

    async def _set(self, ticket_id: int, state: str) -> None:
        if state == "left":
            self.tickets.pop(ticket_id, None)
            await database_sync_to_async(presence.leave)(ticket_id=ticket_id, user_id=self.user.pk)
        else:
            self.tickets[ticket_id] = (state, time.monotonic())
            await database_sync_to_async(presence.set_state)(
                ticket_id=ticket_id, user_id=self.user.pk, name=self.name, state=state
            )
        viewers = await database_sync_to_async(presence.viewers)(ticket_id)
        await self.channel_layer.group_send(
            AGENTS_GROUP,
            {
                "type": "agent.event",
                "event": {
                    "v": EVENT_VERSION,
                    "type": "presence",
                    "ticket": ticket_id,
                    "viewers": viewers,
                },
            },
        )

    async def _error(self, error: str) -> None:
        await self.send_json({"v": EVENT_VERSION, "type": "error", "error": error})

    async def agent_event(self, message: dict) -> None:
        await self._forward(message)
        # Channels hands a consumer one channel-layer message per trip round the event loop (a
        # new receive task and an `asyncio.wait` for each). An inbox hears every message of
        # every chat, and on a busy process those trips — not the sends — capped how many
        # events a second one inbox could take: the events queued up behind each other and
        # customer → agent latency grew by seconds. Those already waiting for this socket go
        # out now, in order (no receive is pending meanwhile, so none can overtake them).
        for queued in _already_queued(self.channel_layer, self.channel_name):
            if queued.get("type") == "agent.event":
                await self._forward(queued)
            else:
                await self.dispatch(queued)

    async def _forward(self, message: dict) -> None:
        event = message["event"]
        # Personal events (a notification) carry their recipient; everyone else skips them.
        if "user" in event and event["user"] != self.user.pk:
            return
        # Events about a ticket this agent may not see are not theirs to know about (the same
        # rule as the pages: tickets.access), so the inbox never learns of them.
        ticket_id = event.get("ticket")
        if (
            not self.sees_all
            and isinstance(ticket_id, int)
            and not await database_sync_to_async(access.can_see_id)(self.user, ticket_id)
        ):
            return
        await self.send_json(event)


def _already_queued(layer, channel: str) -> list[dict]:
    """The messages the Redis pub/sub layer holds for `channel` right now (at most
    `MAX_DRAINED`), taken off its queue; none for other layers."""
    try:
        from channels_redis.pubsub import RedisPubSubChannelLayer
    except ImportError:  # pragma: no cover - channels-redis is a dependency
        return []
    if not isinstance(layer, RedisPubSubChannelLayer):
        return []
    loop_layer = layer._layers.get(asyncio.get_running_loop())  # noqa: SLF001 - see above
    queue = loop_layer.channels.get(channel) if loop_layer is not None else None
    taken: list[dict] = []
    while queue is not None and len(taken) < MAX_DRAINED:
        try:
            raw = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        taken.append(layer.deserialize(raw))
    return taken


def _ticket_visible(ticket_id: int, user) -> bool:
    from .selectors import ticket_visible

    return ticket_visible(ticket_id=ticket_id, viewer=user)
