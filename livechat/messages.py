"""A visitor's messages: stored raw, filed into the chat's ticket, echoed and acknowledged;
and what a returning visitor missed.

One message is one transaction in the web process: the raw `InboundEvent` row, its filing
(`channels_in.services.process_inbound` → `tickets.services.receive_message`), the chat's
conversation row and the bot/routing follow-ups commit together, and the live frames go out
after the commit. Before, the raw row, its filing and each follow-up were separate round
trips and transactions (about 60 queries a message). If the process dies before the commit,
nothing was acknowledged: the widget still holds the message and sends it again under the
same client id (livechat/PROTOCOL.md), so nothing is lost; a filing error inside the
transaction is recorded on the raw event (`failed`) and retried by the ingest queue.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from channels_in import services as inbound
from channels_in.models import InboundEvent, InboundStatus
from tickets.models import AuthorKind, Message

from . import chatbot, ending, limits, live
from .availability import team_availability
from .errors import ChatError
from .live import message_frame
from .models import BotOutcome, ChatBotTurn, ChatConversation, ChatUpload, ChatVisitor
from .ratelimit import rate_limited
from .visitors import needs_profile, settle_customer, visitor_handle

log = logging.getLogger(__name__)


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
    message, duplicate, _data = _record(visitor, client_id, text, uploads)
    return message, duplicate


def visitor_message_ack(
    visitor: ChatVisitor, *, client_id: Any, text: Any, uploads: Any = (), counted: bool = False
) -> dict[str, Any]:
    """The socket's `message` frame → its `ack` frame (with the stored message when filed).
    `counted`: the caller (livechat.fastpath) already counted it against the rate limit."""
    message, duplicate, data = _record(visitor, client_id, text, uploads, counted=counted)
    ack: dict[str, Any] = {"id": client_id, "duplicate": duplicate}
    if message is not None:
        ack["message"] = data
    return live.frame("ack", **ack)


def checked_message(client_id: Any, text: Any, uploads: Any) -> tuple[str, str, list[str]]:
    """A `message` frame's client id, text and upload tokens, checked (ChatError if not)."""
    client_id = str(client_id or "")
    if not limits.CLIENT_ID.match(client_id):
        raise ChatError("bad_client_id", "id must be 1-64 letters, digits, - or _")
    text = str(text or "").strip() if isinstance(text, str | type(None)) else None
    if text is None:
        raise ChatError("bad_text", "text must be a string")
    if len(text) > limits.MAX_TEXT_CHARS:
        raise ChatError(
            "too_long", f"a message may have at most {limits.MAX_TEXT_CHARS} characters"
        )
    if not isinstance(uploads, list | tuple) or len(uploads) > limits.MAX_UPLOADS_PER_MESSAGE:
        raise ChatError(
            "bad_uploads", f"send at most {limits.MAX_UPLOADS_PER_MESSAGE} files at once"
        )
    tokens = [str(token)[:32] for token in uploads]
    if not text and not tokens:
        raise ChatError("empty", "the message is empty")
    return client_id, text, tokens


def _record(
    visitor: ChatVisitor, client_id: Any, text: Any, uploads: Any, counted: bool = False
) -> tuple[Message | None, bool, dict[str, Any] | None]:
    client_id, text, tokens = checked_message(client_id, text, uploads)
    key = inbound_key(visitor, client_id)
    existing = (
        InboundEvent.objects.filter(kind="chat", idempotency_key=key)
        .only("pk", "status", "message_id")
        .first()
    )
    if existing is not None:
        if needs_profile(visitor):
            raise ChatError("profile_required", "fill in the pre-chat form first")
        return _duplicate(visitor, existing)
    availability = team_availability()
    offline = not availability["online"]
    if needs_profile(visitor, offline=offline):
        raise ChatError("profile_required", "fill in the pre-chat form first")
    if tokens:
        found = set(
            ChatUpload.objects.filter(visitor=visitor, token__in=tokens).values_list(
                "token", flat=True
            )
        )
        if len(found) != len(set(tokens)):
            raise ChatError("bad_uploads", "an attachment is unknown or not yours")
    if not counted and rate_limited("msg", visitor.uid.hex, limits.MESSAGES_PER_MINUTE):
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
    with transaction.atomic():
        event, created = inbound.record_inbound(
            kind="chat",
            payload=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            idempotency_key=key,
            account_id=visitor.uid.hex,
        )
        if created:
            # Filed here and now, not by the task record_inbound queues for after the commit:
            # that task finds the event processed and does nothing.
            event = inbound.process_inbound(event.pk)
            message = event.message
            if message is not None:
                data = _after_new_message(visitor, message, offline, availability, bool(tokens))
                return message, False, data
            return None, False, None
    # The same client id came in on another socket a moment ago.
    return _duplicate(visitor, event)


def _after_new_message(
    visitor: ChatVisitor, message: Message, offline: bool, availability: dict, files: bool
) -> dict[str, Any]:
    """Inside the message's transaction: its conversation, a reopened or mailed chat, the
    bot's turn or an offer to an agent; the echo to the visitor's other tabs after commit."""
    conversation = _conversation_for(visitor, message)
    if conversation.ended_at is not None:
        ending.reopen_if_ended(visitor)
    if visitor.identity_id is None:
        settle_customer(visitor)
    if offline and ending.start_email_followup(visitor, message):
        notice = live.frame("followup", email=visitor.email, back_at=availability["back_at"])
        live.after_commit_send(live.visitor_group(visitor.uid), notice)
    # A new message has files only when the visitor sent some: no query for the others.
    data = message_frame(message) if files else message_frame(message, attachments=())
    live.after_commit_send(live.visitor_group(visitor.uid), live.frame("message", message=data))
    chatbot.after_visitor_message(visitor, message, conversation=conversation)
    return data


def _conversation_for(visitor: ChatVisitor, message: Message) -> ChatConversation:
    """The visitor's conversation on the message's ticket (made on the first message), with
    whether the answer bot is waiting for the visitor's verdict, in one query."""
    answered = ChatBotTurn.objects.filter(conversation=OuterRef("pk"), outcome=BotOutcome.ANSWERED)
    conversation = (
        ChatConversation.objects.filter(visitor=visitor, ticket_id=message.ticket_id)
        .annotate(bot_answered=Exists(answered))
        .first()
    )
    if conversation is None:
        conversation, _ = ChatConversation.objects.get_or_create(
            visitor=visitor, ticket_id=message.ticket_id, defaults={"first_message": message}
        )
        conversation.bot_answered = False
    conversation.ticket = message.ticket
    conversation.visitor = visitor
    return conversation


def _duplicate(
    visitor: ChatVisitor, event: InboundEvent
) -> tuple[Message | None, bool, dict[str, Any] | None]:
    """A resend (after a drop, or from another tab): the first message, nothing new stored."""
    if event.status != InboundStatus.PROCESSED:
        # Usually the ingest task already ran; this covers a slow or busy queue.
        event = inbound.process_inbound(event.pk)
    link_conversations(visitor)
    message = (
        Message.objects.filter(pk=event.message_id).prefetch_related("attachments").first()
        if event.message_id
        else None
    )
    return message, True, message_frame(message) if message is not None else None


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
