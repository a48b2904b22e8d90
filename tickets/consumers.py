"""The agent's live socket: joins the agents group and forwards events; no rules here."""

from __future__ import annotations

import json

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .realtime import AGENTS_GROUP


class AgentConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_staff_member):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(AGENTS_GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"v": 1, "type": "hello"})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(AGENTS_GROUP, self.channel_name)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except (TypeError, ValueError):
            return {"type": "malformed"}

    async def receive_json(self, content, **kwargs) -> None:
        # The socket is server → agent only for now; answer pings so clients can detect drops.
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"v": 1, "type": "pong"})
        else:
            await self.send_json({"v": 1, "type": "error", "error": "unknown or malformed frame"})

    async def agent_event(self, message: dict) -> None:
        await self.send_json(message["event"])
