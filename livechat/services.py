"""The rules of live chat. The socket consumers only parse frames and call these.

Raw first: a visitor's message is stored as a `channels_in` InboundEvent (keyed by the
visitor and the client's own message id, so a resend after a drop is the same event) and filed
into the ticket through the chat adapter and `tickets.services.receive_message`
(livechat/messages.py). Who the visitor is lives in livechat/visitors.py, the limits in
livechat/limits.py; this module opens sessions and keeps every older import working.
Frames and their fields are documented in livechat/PROTOCOL.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ChatError
from .limits import (
    CLIENT_ID,
    FRAMES_PER_MINUTE,
    MAX_FRAME_BYTES,
    MAX_TEXT_CHARS,
    MAX_UPLOADS_PER_MESSAGE,
    MESSAGES_PER_MINUTE,
    SESSIONS_PER_IP_PER_MINUTE,
)
from .live import PROTOCOL_VERSION, message_frame, push_to_ticket_visitors
from .messages import (
    inbound_key,
    link_conversations,
    messages_since,
    record_visitor_message,
    visitor_message_ack,
)
from .models import ChatChannel, ChatVisitor
from .ratelimit import rate_limited
from .visitors import (
    TOKEN_SALT,
    active_channel,
    check_origin,
    clean_email,
    identity_signature,
    needs_profile,
    page_fields,
    settle_customer,
    update_profile,
    verify_identity,
    visitor_from_token,
    visitor_handle,
    visitor_token,
)

# Older names: ending.py and other callers import these from here.
_clean_email = clean_email
_page_fields = page_fields

__all__ = [
    "CLIENT_ID",
    "FRAMES_PER_MINUTE",
    "MAX_FRAME_BYTES",
    "MAX_TEXT_CHARS",
    "MAX_UPLOADS_PER_MESSAGE",
    "MESSAGES_PER_MINUTE",
    "PROTOCOL_VERSION",
    "SESSIONS_PER_IP_PER_MINUTE",
    "TOKEN_SALT",
    "ChatError",
    "Session",
    "active_channel",
    "check_origin",
    "identity_signature",
    "inbound_key",
    "link_conversations",
    "message_frame",
    "messages_since",
    "needs_profile",
    "open_session",
    "push_to_ticket_visitors",
    "rate_limited",
    "record_visitor_message",
    "settle_customer",
    "update_profile",
    "verify_identity",
    "visitor_from_token",
    "visitor_handle",
    "visitor_message_ack",
    "visitor_token",
]


@dataclass(frozen=True)
class Session:
    channel: ChatChannel
    visitor: ChatVisitor
    token: str


def open_session(
    *,
    channel_key: str,
    origin: str,
    token: str = "",
    identity: dict | None = None,
    client_ip: str = "",
    user_agent: str = "",
    language: str = "",
    page: dict | None = None,
) -> Session:
    """The `hello` frame: check the site, find or start the visitor, apply a verified identity.

    A token issued to another channel, or to a visitor whose verified user differs from the
    one now signed in, starts a new visitor: a shared computer never shows one shop customer
    another's conversation.
    """
    channel = active_channel(channel_key)
    check_origin(channel, origin)
    user_id = ""
    if identity:
        if not isinstance(identity, dict):
            raise ChatError("bad_identity", "identity must be an object")
        user_id = str(identity.get("user_id") or "")[:200]
        if not verify_identity(channel, user_id, identity.get("user_hash") or ""):
            raise ChatError("bad_identity", "the identity signature does not match")
    visitor = visitor_from_token(channel, token) if token else None
    if visitor is not None:
        visitor.channel = channel  # the socket keeps it: no query for it on later frames
    if visitor and user_id and visitor.external_user_id not in ("", user_id):
        visitor = None
    if visitor is None:
        if client_ip and rate_limited("session", client_ip, SESSIONS_PER_IP_PER_MINUTE):
            raise ChatError("rate_limited", "too many new chats from this address")
        visitor = ChatVisitor.objects.create(channel=channel)
    updates: dict[str, Any] = {"user_agent": user_agent[:500], "language": language[:10]}
    if user_id and not visitor.external_user_id:
        updates["external_user_id"] = user_id
    if identity:
        name = str(identity.get("name") or "")[:200]
        if name:
            updates["name"] = name
        email = clean_email(identity.get("email"))
        if email:
            updates["email"] = email
    updates.update(page_fields(page))
    for field, value in updates.items():
        setattr(visitor, field, value)
    visitor.save()
    if "external_user_id" in updates or visitor.email:
        settle_customer(visitor)
    return Session(channel=channel, visitor=visitor, token=visitor_token(visitor))
