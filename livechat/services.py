"""The rules of live chat. The socket consumers only parse frames and call these.

Raw first: a visitor's message is stored as a `channels_in` InboundEvent (keyed by the
visitor and the client's own message id, so a resend after a drop is the same event) before
it becomes a ticket message through the chat adapter and `tickets.services.receive_message`.
Frames and their fields are documented in livechat/PROTOCOL.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone

from channels_in import services as inbound
from channels_in.models import InboundEvent, InboundStatus
from customers.models import Customer, Identity, IdentityKind
from customers.services import customer_merge, identity_resolve
from helpdesk import crypto
from tickets.models import AuthorKind, Message

from . import chatbot, ending, live
from .availability import team_availability
from .errors import ChatError
from .live import PROTOCOL_VERSION, message_frame, push_to_ticket_visitors
from .models import ChatChannel, ChatConversation, ChatUpload, ChatVisitor, FieldMode

# push_to_ticket_visitors: the hook other apps call (a CSAT prompt) lives in live.py.
__all__ = ["PROTOCOL_VERSION", "ChatError", "Session", "push_to_ticket_visitors"]

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024
MAX_TEXT_CHARS = 5000
MAX_UPLOADS_PER_MESSAGE = 5
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TOKEN_SALT = "livechat.visitor"
# Per visitor: messages and all frames per minute; per IP: new sessions per minute.
MESSAGES_PER_MINUTE = 30
FRAMES_PER_MINUTE = 240
SESSIONS_PER_IP_PER_MINUTE = 60


@dataclass(frozen=True)
class Session:
    channel: ChatChannel
    visitor: ChatVisitor
    token: str


# --- tokens, identity verification, origin ------------------------------------------------


def visitor_token(visitor: ChatVisitor) -> str:
    return signing.dumps({"c": visitor.channel_id, "v": visitor.uid.hex}, salt=TOKEN_SALT)


def visitor_from_token(channel: ChatChannel, token: str) -> ChatVisitor | None:
    """The visitor a token was issued to on this channel; None for anything else."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("c") != channel.pk:
        return None
    return ChatVisitor.objects.filter(channel=channel, uid=data.get("v")).first()


def identity_signature(secret: str, user_id: str) -> str:
    """What the shop's server computes: hex HMAC-SHA256 of the user id with the secret."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_identity(channel: ChatChannel, user_id: str, signature: str) -> bool:
    try:
        secret = channel.get_secret()
    except crypto.DecryptionError:
        log.error("chat channel %s: the identity secret cannot be decrypted", channel.pk)
        return False
    if not secret or not user_id or not isinstance(signature, str):
        return False
    return hmac.compare_digest(identity_signature(secret, user_id), signature.lower())


def active_channel(key: str) -> ChatChannel:
    channel = ChatChannel.objects.filter(public_key=str(key)[:40], active=True).first()
    if channel is None:
        raise ChatError("unknown_channel", "no active chat channel has this key")
    return channel


def check_origin(channel: ChatChannel, origin: str) -> None:
    if not channel.allows_origin(origin):
        raise ChatError("origin_not_allowed", "this site may not use the chat channel")


def rate_limited(bucket: str, key: str, limit: int, window: int = 60) -> bool:
    """Fixed-window counter in Redis: True once `limit` is passed within the window."""
    slot = int(timezone.now().timestamp()) // window
    cache_key = f"livechat:rl:{bucket}:{key}:{slot}"
    cache.add(cache_key, 0, timeout=window * 2)
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # expired between add and incr
        return False


# --- sessions ----------------------------------------------------------------------------


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
        email = _clean_email(identity.get("email"))
        if email:
            updates["email"] = email
    updates.update(_page_fields(page))
    for field, value in updates.items():
        setattr(visitor, field, value)
    visitor.save()
    if "external_user_id" in updates or visitor.email:
        settle_customer(visitor)
    return Session(channel=channel, visitor=visitor, token=visitor_token(visitor))


def visitor_handle(visitor: ChatVisitor) -> str:
    if visitor.external_user_id:
        return f"u:{visitor.channel_id}:{visitor.external_user_id}"
    return f"v:{visitor.uid.hex}"


def _page_fields(page: Any) -> dict[str, str]:
    if not isinstance(page, dict):
        return {}
    url = str(page.get("url") or "")[:1000]
    if not url.startswith(("http://", "https://")):
        url = ""
    return {"page_url": url, "page_title": str(page.get("title") or "")[:300]}


def _clean_email(value: Any) -> str:
    email = str(value or "").strip()[:254]
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email.lower()


def update_profile(visitor: ChatVisitor, *, name: Any, email: Any, page: Any = None) -> None:
    """The pre-chat form (or a later "leave your email"): validate against the channel."""
    name = " ".join(str(name or "").split())[:200]
    raw_email = str(email or "").strip()
    clean = _clean_email(raw_email)
    channel = visitor.channel
    if raw_email and not clean:
        raise ChatError("bad_email", "the email address is not valid")
    if channel.ask_name == FieldMode.REQUIRED and not (name or visitor.name):
        raise ChatError("name_required", "a name is required")
    if channel.ask_email == FieldMode.REQUIRED and not (clean or visitor.email):
        raise ChatError("email_required", "an email address is required")
    visitor.name = name or visitor.name
    visitor.email = clean or visitor.email
    for field, value in _page_fields(page).items():
        setattr(visitor, field, value)
    visitor.save()
    settle_customer(visitor)


def needs_profile(visitor: ChatVisitor, *, offline: bool = False) -> bool:
    """The pre-chat form must be filled in first. Nobody online: the answer comes by email,
    so an email address is needed whatever the channel asks for."""
    channel = visitor.channel
    email_required = channel.ask_email == FieldMode.REQUIRED or offline
    return (channel.ask_name == FieldMode.REQUIRED and not visitor.name) or (
        email_required and not visitor.email
    )


def settle_customer(visitor: ChatVisitor) -> None:
    """Join the visitor's conversation to the customer they turned out to be.

    Only a customer made for an anonymous visitor (nothing but anonymous chat identities) is
    folded into another: an email typed into the widget is not proof enough to merge a known
    customer away, but it is enough to file an anonymous chat under that address.
    """
    identity = (
        Identity.objects.filter(kind=IdentityKind.CHAT, handle=visitor_handle(visitor))
        .select_related("customer")
        .first()
    )
    anonymous = (
        Identity.objects.filter(kind=IdentityKind.CHAT, handle=f"v:{visitor.uid.hex}")
        .select_related("customer")
        .first()
    )
    target: Customer | None = identity.customer if identity else None
    if visitor.email:
        target = identity_resolve(
            kind=IdentityKind.EMAIL, handle=visitor.email, display_name=visitor.name
        ).customer
    if target is not None and visitor.name and not target.name:
        Customer.objects.filter(pk=target.pk).update(name=visitor.name[:200])
    if identity is None and target is not None:
        # Known before the first message: it is filed under that customer from the start.
        identity, _ = Identity.objects.get_or_create(
            kind=IdentityKind.CHAT,
            handle=visitor_handle(visitor),
            defaults={"customer": target, "display_name": visitor.name[:200]},
        )
    merged: set[int] = set()
    for candidate in (anonymous, identity):
        if candidate is None or target is None or candidate.pk in merged:
            continue
        merged.add(candidate.pk)
        candidate.refresh_from_db(fields=["customer"])  # an earlier merge may have moved it
        if candidate.customer_id != target.pk and _only_anonymous(candidate.customer):
            customer_merge(source=candidate.customer, into=target)
    current = identity or anonymous
    if current is not None and visitor.identity_id != current.pk:
        ChatVisitor.objects.filter(pk=visitor.pk).update(identity=current)
        visitor.identity = current


def _only_anonymous(customer: Customer) -> bool:
    kinds = customer.identities.values_list("kind", "handle")
    return all(kind == IdentityKind.CHAT and handle.startswith("v:") for kind, handle in kinds)


# --- messages ----------------------------------------------------------------------------


def inbound_key(visitor: ChatVisitor, client_id: str) -> str:
    return f"chat:{visitor.uid.hex}:{client_id}"


def record_visitor_message(
    visitor: ChatVisitor, *, client_id: Any, text: Any, uploads: Any = ()
) -> tuple[Message | None, bool]:
    """Store the message raw, file it into the ticket, link the conversation.

    Returns (message, duplicate). The same client id again returns the first message and
    stores nothing new. The message is None only when it could not be filed yet (the raw
    event is kept and retried by the ingest queue) or the customer is blocked.
    """
    client_id = str(client_id or "")
    if not CLIENT_ID.match(client_id):
        raise ChatError("bad_client_id", "id must be 1-64 letters, digits, - or _")
    text = str(text or "").strip() if isinstance(text, str | type(None)) else None
    if text is None:
        raise ChatError("bad_text", "text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise ChatError("too_long", f"a message may have at most {MAX_TEXT_CHARS} characters")
    if not isinstance(uploads, list | tuple) or len(uploads) > MAX_UPLOADS_PER_MESSAGE:
        raise ChatError("bad_uploads", f"send at most {MAX_UPLOADS_PER_MESSAGE} files at once")
    tokens = [str(token)[:32] for token in uploads]
    if not text and not tokens:
        raise ChatError("empty", "the message is empty")
    key = inbound_key(visitor, client_id)
    existing = InboundEvent.objects.filter(kind="chat", idempotency_key=key).first()
    availability = team_availability() if existing is None else {"online": True}
    offline = not availability["online"]
    if needs_profile(visitor, offline=offline):
        raise ChatError("profile_required", "fill in the pre-chat form first")
    if existing is None:
        found = set(
            ChatUpload.objects.filter(visitor=visitor, token__in=tokens).values_list(
                "token", flat=True
            )
        )
        if len(found) != len(set(tokens)):
            raise ChatError("bad_uploads", "an attachment is unknown or not yours")
        if rate_limited("msg", visitor.uid.hex, MESSAGES_PER_MINUTE):
            raise ChatError("rate_limited", "too many messages; wait a moment")
        payload = {
            "visitor": visitor.uid.hex,
            "channel": visitor.channel_id,
            "client_id": client_id,
            "handle": visitor_handle(visitor),
            "name": visitor.name,
            "text": text,
            "uploads": tokens,
            "page_url": visitor.page_url,
        }
        event, _created = inbound.record_inbound(
            kind="chat",
            payload=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            idempotency_key=key,
            account_id=visitor.uid.hex,
        )
        duplicate = False
    else:
        event, duplicate = existing, True
    if event.status != InboundStatus.PROCESSED:
        # Usually the ingest task already ran at commit; this covers a slow or busy queue.
        event = inbound.process_inbound(event.pk)
    link_conversations(visitor)
    message = event.message
    if message is not None and not duplicate:
        ending.reopen_if_ended(visitor)
        if offline and ending.start_email_followup(visitor, message):
            notice = live.frame("followup", email=visitor.email, back_at=availability["back_at"])
            live.after_commit_send(live.visitor_group(visitor.uid), notice)
        echo = live.frame("message", message=message_frame(message))
        live.group_send(live.visitor_group(visitor.uid), echo)  # the visitor's other tabs
        chatbot.after_visitor_message(visitor, message)
    return message, duplicate


def link_conversations(visitor: ChatVisitor) -> None:
    """Every ticket the visitor's filed messages went to is one of their conversations."""
    events = (
        InboundEvent.objects.filter(kind="chat", account_id=visitor.uid.hex, message__isnull=False)
        .exclude(message__ticket__chat_conversations__visitor=visitor)
        .select_related("message")
        .order_by("id")
    )
    for event in events:
        ChatConversation.objects.get_or_create(
            visitor=visitor,
            ticket_id=event.message.ticket_id,
            defaults={"first_message": event.message},
        )
    if visitor.identity_id is None:
        settle_customer(visitor)


def _visible_messages(visitor: ChatVisitor):
    conversations = list(visitor.conversations.values_list("ticket_id", "first_message_id"))
    if not conversations:
        return Message.objects.none()
    visible = Q()
    for ticket_id, first_id in conversations:
        visible |= Q(ticket_id=ticket_id, id__gte=first_id)
    return (
        Message.objects.filter(visible, internal=False)
        .exclude(author_kind=AuthorKind.SYSTEM)
        .select_related("author")
        .prefetch_related("attachments")
    )


def messages_since(visitor: ChatVisitor, since: Any, limit: int = 200) -> list[dict]:
    """What the visitor missed: visible messages after the `since` cursor (a message id)."""
    try:
        cursor = max(int(since or 0), 0)
    except (TypeError, ValueError):
        cursor = 0
    link_conversations(visitor)
    found = _visible_messages(visitor).filter(id__gt=cursor).order_by("-id")[:limit]
    return [message_frame(message) for message in reversed(found)]
