"""The agent's live socket: joins the agents group and forwards events; no rules here."""

from __future__ import annotations

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

    async def receive_json(self, content, **kwargs) -> None:
        # The socket is server → agent only for now; answer pings so clients can detect drops.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"v": 1, "type": "pong"})

    async def agent_event(self, message: dict) -> None:
        await self.send_json(message["event"])
