"""The widget's socket (/ws/chat/) and the agent's chat socket (/ws/chat/agent/<ticket>/).

Thin: check the frame's shape, call `services`, answer. Every rule is in services.py; every
failure becomes an `error` frame (or a close code before the hello), never a crash.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from tickets.access import visible_tickets
from tickets.models import Channel, Ticket

from . import agent_fastpath, chatbot, ending, fastpath, limits, live, services
from .asyncdb import run_db
from .availability import team_availability
from .live import frame
from .ratelimit import acount
from .services import ChatError

log = logging.getLogger(__name__)

CLOSE_ORIGIN = 4403
CLOSE_RATE = 4429


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class _FrameConsumer(AsyncJsonWebsocketConsumer):
    """Shared frame handling: size limit, JSON, version and type checks."""

    handlers: dict[str, str] = {}

    async def dispatch(self, message: dict) -> None:
        """Channels' own `dispatch` first hops to its one shared sync thread to tidy database
        connections — for every frame *and* every channel-layer event, so each chat message
        delivered to a socket queued behind every other socket's hop. These consumers never
        use a database connection on the event loop (their work runs through `run_db`, which
        tidies its thread's connection itself), so there is nothing to tidy."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            await self.send_error("bad_frame", "frames are JSON text")
            return
        # A UTF-8 character is at most 4 bytes: most frames need no encoding to be measured.
        if len(text_data) * 4 > services.MAX_FRAME_BYTES and (
            len(text_data.encode("utf-8")) > services.MAX_FRAME_BYTES
        ):
            await self.send_error("too_large", "the frame is larger than 16 KB")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_json", "the frame is not JSON")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs) -> None:
        if not isinstance(content, dict) or content.get("v") != services.PROTOCOL_VERSION:
            await self.send_error("bad_version", 'frames are objects with "v": 1')
            return
        handler = self.handlers.get(str(content.get("type")))
        if handler is None:
            await self.send_error("unknown_type", "unknown frame type", ref=content.get("id"))
            return
        try:
            await getattr(self, handler)(content)
        except ChatError as exc:
            await self.send_error(exc.code, exc.message, ref=content.get("id"))

    async def send_error(self, code: str, message: str, ref: Any = None) -> None:
        data = {"code": code, "error": message}
        if isinstance(ref, str) and len(ref) <= 64:
            data["id"] = ref
        await self.send_json(frame("error", **data))

    async def chat_frame(self, event: dict) -> None:
        await self.send_json(event["frame"])


class ChatConsumer(_FrameConsumer):
    """One visitor's browser tab. Nothing but `hello` is accepted until the hello succeeded."""

    handlers = {
        "hello": "on_hello",
        "message": "on_message",
        "typing": "on_typing",
        "read": "on_read",
        "profile": "on_profile",
        "ping": "on_ping",
        "end": "on_end",
        "rate": "on_rate",
        "transcript": "on_transcript",
        "handoff": "on_handoff",
        "bot_solved": "on_bot_solved",
    }
    visitor = None
    messages_limited = False  # the current `message` frame is over the visitor's limit

    async def connect(self) -> None:
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.visitor is not None:
            await self.channel_layer.group_discard(
                live.visitor_group(self.visitor.uid), self.channel_name
            )
            await run_db(live.visitor_connected)(self.visitor, delta=-1)

    async def receive_json(self, content: Any, **kwargs) -> None:
        if self.visitor is not None:
            # Counted in Redis without a thread hop: a flood costs the process little. A
            # `message` frame counts against the message limit too, in the same round trip.
            buckets = [("frame", limits.FRAMES_PER_MINUTE)]
            if isinstance(content, dict) and content.get("type") == "message":
                buckets.append(("msg", limits.MESSAGES_PER_MINUTE))
            limited = await acount(self.visitor.uid.hex, buckets)
            self.messages_limited = limited[-1]
            if limited[0]:
                await self.send_error("rate_limited", "too many frames; slow down")
                await self.close(code=CLOSE_RATE)
                return
        elif isinstance(content, dict) and content.get("type") not in ("hello", None):
            await self.send_error("hello_first", "send a hello frame first")
            return
        await super().receive_json(content)

    async def on_hello(self, content: dict) -> None:
        if self.visitor is not None:
            raise ChatError("hello_twice", "this socket already said hello")
        client = self.scope.get("client") or ("", 0)
        try:
            session = await run_db(services.open_session)(
                channel_key=str(content.get("channel") or ""),
                origin=_header(self.scope, b"origin"),
                token=str(content.get("token") or ""),
                identity=content.get("identity"),
                client_ip=str(client[0] or ""),
                user_agent=_header(self.scope, b"user-agent"),
                language=str(content.get("lang") or ""),
                page=content.get("page"),
            )
        except ChatError as exc:
            await self.send_error(exc.code, exc.message)
            if exc.code in ("origin_not_allowed", "unknown_channel", "rate_limited"):
                await self.close(code=CLOSE_ORIGIN)
            return
        self.visitor = session.visitor
        await self.channel_layer.group_add(live.visitor_group(self.visitor.uid), self.channel_name)
        welcome = await run_db(self._welcome)(session, content.get("since"))
        await self.send_json(welcome)

    def _welcome(self, session: services.Session, since: Any) -> dict:
        """The welcome frame, and the visitor's agents told they are here: one thread hop."""
        visitor = session.visitor
        availability = team_availability()
        welcome = frame(
            "welcome",
            token=session.token,
            visitor={"name": visitor.name, "email": visitor.email},
            needs_profile=services.needs_profile(visitor, offline=not availability["online"]),
            availability=availability,
            messages=services.messages_since(visitor, since),
            bot=chatbot.pending_frame(visitor),
            **live.conversation_state(visitor),
        )
        live.visitor_connected(visitor, delta=1)
        return welcome

    async def on_message(self, content: dict) -> None:
        # A running conversation's text message takes the one-statement fast path on the
        # event loop; the rest the general path, in a thread (livechat/fastpath.py).
        ack = await fastpath.receive_message(
            self.channel_layer,
            self.visitor,
            client_id=content.get("id"),
            text=content.get("text"),
            uploads=content.get("attachments") or [],
            over_limit=self.messages_limited,
        )
        await self.send_json(ack)

    async def on_typing(self, content: dict) -> None:
        state = live.visitor_typing_frame(
            typing=content.get("typing"), preview=content.get("preview")
        )
        groups = await run_db(live.visitor_typing_groups)(self.visitor)
        await live.asend(self.channel_layer, groups, state)

    async def on_read(self, content: dict) -> None:
        await run_db(live.visitor_read)(self.visitor, upto=content.get("upto"))

    async def on_profile(self, content: dict) -> None:
        await run_db(services.update_profile)(
            self.visitor,
            name=content.get("name"),
            email=content.get("email"),
            page=content.get("page"),
        )
        await self.send_json(
            frame("profile_ok", visitor={"name": self.visitor.name, "email": self.visitor.email})
        )

    async def on_ping(self, content: dict) -> None:
        await run_db(live.visitor_seen)(self.visitor)
        await self.send_json(frame("pong"))

    async def on_end(self, content: dict) -> None:
        # The `ended` frame reaches this tab through the visitor's group, like the others.
        await run_db(ending.visitor_ends)(self.visitor)

    async def on_rate(self, content: dict) -> None:
        conversation = await run_db(ending.rate_chat)(
            self.visitor, rating=content.get("rating"), comment=content.get("comment")
        )
        await self.send_json(frame("rated", rating=conversation.rating))

    async def on_transcript(self, content: dict) -> None:
        await run_db(ending.request_transcript)(self.visitor, email=content.get("email"))
        await self.send_json(frame("transcript_queued", email=self.visitor.email))

    async def on_handoff(self, content: dict) -> None:
        # `handed_off` reaches every tab of the visitor through their group.
        await run_db(chatbot.hand_off)(self.visitor)

    async def on_bot_solved(self, content: dict) -> None:
        await run_db(chatbot.answer_solved)(self.visitor, article=content.get("article"))


class AgentChatConsumer(_FrameConsumer):
    """An agent's ticket page: visitor typing / presence / reads in, agent typing out."""

    handlers = {
        "typing": "on_typing",
        "read": "on_read",
        "ping": "on_ping",
        "end": "on_end",
        "reply": "on_reply",
    }
    ticket = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_staff_member):
            await self.close(code=4403)
            return
        ticket_id = self.scope["url_route"]["kwargs"]["ticket_id"]
        # Only a chat ticket the agent may see (the ticket page's own rule).
        self.ticket = await run_db(
            visible_tickets(user, Ticket.objects.filter(pk=ticket_id, channel=Channel.CHAT)).first
        )()
        if self.ticket is None:
            await self.close(code=4404)
            return
        await self.channel_layer.group_add(live.ticket_group(ticket_id), self.channel_name)
        await self.accept()
        await self.send_json(frame("hello"))

    async def disconnect(self, code: int) -> None:
        if self.ticket is not None:
            await self.channel_layer.group_discard(
                live.ticket_group(self.ticket.pk), self.channel_name
            )

    async def on_typing(self, content: dict) -> None:
        state = live.agent_typing_frame(self.scope["user"], typing=bool(content.get("typing")))
        groups = await run_db(live.agent_typing_groups)(self.ticket)
        await live.asend(self.channel_layer, groups, state)

    async def on_read(self, content: dict) -> None:
        await run_db(live.agent_read)(self.ticket)

    async def on_ping(self, content: dict) -> None:
        await self.send_json(frame("pong"))

    async def on_end(self, content: dict) -> None:
        await run_db(ending.agent_ends)(self.ticket)

    async def on_reply(self, content: dict) -> None:
        """A plain public reply typed in the ticket page (livechat/agent_fastpath.py); the
        `reply_ack` comes after the visitors have it. `use_form`: send it with the form."""
        ack = await agent_fastpath.receive_reply(
            self.channel_layer,
            self.ticket.pk,
            self.scope["user"],
            client_id=content.get("id"),
            text=content.get("text"),
            seen=content.get("seen"),
        )
        await self.send_json(ack)
