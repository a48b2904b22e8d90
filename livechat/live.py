"""Live frames: the channel-layer groups of visitors and ticket pages, what goes through
them (messages, typing, reads, presence, "agent joined"), and the hook other apps use to push
a frame to a chat (a CSAT prompt). State is in PostgreSQL; these only announce it."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from channels_in.models import InboundEvent
from channels_in.registry import PermanentDeliveryError
from tickets.models import AuthorKind, Message, Ticket

from .errors import ChatError
from .models import ChatConversation, ChatVisitor

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
ONLINE_WINDOW_SECONDS = 90

# --- groups: where live frames go --------------------------------------------------------


def visitor_group(visitor_uid: Any) -> str:
    return f"livechat.v.{str(visitor_uid).replace('-', '')}"


def ticket_group(ticket_id: int) -> str:
    return f"livechat.t.{ticket_id}"


def group_send(group: str, frame: dict[str, Any], kind: str = "chat.frame") -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": kind, "frame": frame})
    except Exception:  # noqa: BLE001 - a live nudge lost; the state is in PostgreSQL
        log.warning("could not send %s to %s", frame.get("type"), group, exc_info=True)


def after_commit_send(group: str, frame: dict[str, Any]) -> None:
    transaction.on_commit(lambda: group_send(group, frame))


def frame(kind: str, **data: Any) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "type": kind, **data}


def message_frame(message: Message, attachments: Any = None) -> dict[str, Any]:
    """The `message` object of frames. `attachments`: the message's, when the caller knows
    them already (none, for a message just stored without files), saving the query."""
    author = "visitor" if message.author_kind == AuthorKind.CUSTOMER else "agent"
    if attachments is None:
        attachments = message.attachments.all()
    data: dict[str, Any] = {
        "id": message.pk,
        "from": author,
        "text": message.body_text,
        "at": message.created_at.isoformat(),
        "attachments": [
            {
                "name": attachment.filename,
                "type": attachment.content_type,
                "size": attachment.size,
                "url": reverse("livechat:file", args=[attachment.pk, attachment.token]),
            }
            for attachment in attachments
        ],
    }
    if author == "visitor":
        data["client_id"] = message.external_id.rpartition(":")[2]
    elif message.author_id:
        data["agent"] = agent_card(message.author)
    return data


def agent_card(user: Any) -> dict[str, str]:
    name = user.display_name
    return {"name": name, "initial": name[:1].upper()}


def conversation_state(visitor: ChatVisitor) -> dict[str, Any]:
    latest = visitor.conversations.select_related("agent_joined").order_by("-id").first()
    if latest is None:
        return {"agent": None, "read_upto": 0}
    return {
        "agent": agent_card(latest.agent_joined) if latest.agent_joined_id else None,
        "read_upto": latest.agent_read_upto,
    }


# --- presence ---------------------------------------------------------------------------


def visitor_connected(visitor: ChatVisitor, *, delta: int) -> None:
    ChatVisitor.objects.filter(pk=visitor.pk).update(
        connections=F("connections") + delta, last_seen_at=timezone.now()
    )
    visitor.refresh_from_db(fields=["connections", "last_seen_at"])
    presence = frame("presence", online=visitor_is_online(visitor))
    for ticket_id in _ticket_ids(visitor):
        group_send(ticket_group(ticket_id), presence)


def visitor_seen(visitor: ChatVisitor) -> None:
    ChatVisitor.objects.filter(pk=visitor.pk).update(last_seen_at=timezone.now())


def visitor_is_online(visitor: ChatVisitor) -> bool:
    if visitor.connections <= 0 or visitor.last_seen_at is None:
        return False
    return (timezone.now() - visitor.last_seen_at).total_seconds() < ONLINE_WINDOW_SECONDS


def _ticket_ids(visitor: ChatVisitor) -> list[int]:
    return list(visitor.conversations.values_list("ticket_id", flat=True))


# --- typing, reads, presence ---------------------------------------------------------------


# Typing frames come with every few keystrokes: the sockets read the groups in a thread and
# send from their event loop (`asend`). A `group_send` from a thread started an event loop
# and a Redis connection per call.


def visitor_typing_groups(visitor: ChatVisitor) -> list[str]:
    return [ticket_group(ticket_id) for ticket_id in _ticket_ids(visitor)]


def visitor_typing_frame(*, typing: Any, preview: Any = "") -> dict[str, Any]:
    return frame("typing", typing=bool(typing), preview=str(preview or "")[:200])


def agent_typing_groups(ticket: Ticket) -> list[str]:
    return [visitor_group(uid) for uid in _visitor_uids(ticket)]


def agent_typing_frame(agent: Any, *, typing: bool) -> dict[str, Any]:
    return frame("typing", typing=bool(typing), agent=agent_card(agent))


async def asend(layer: Any, groups: list[str], data: dict[str, Any]) -> None:
    """`group_send` of one frame to `groups`, from a socket's event loop."""
    if layer is None:
        return
    try:
        for group in groups:
            await layer.group_send(group, {"type": "chat.frame", "frame": data})
    except Exception:  # noqa: BLE001 - a live nudge lost; the state is in PostgreSQL
        log.warning("could not send %s to %s", data.get("type"), groups, exc_info=True)


def visitor_read(visitor: ChatVisitor, *, upto: Any) -> None:
    try:
        upto = int(upto)
    except (TypeError, ValueError):
        raise ChatError("bad_read", "upto must be a message id") from None
    for conversation in visitor.conversations.filter(visitor_read_upto__lt=upto):
        conversation.visitor_read_upto = upto
        conversation.save(update_fields=["visitor_read_upto"])
        group_send(ticket_group(conversation.ticket_id), frame("read", upto=upto))


def agent_read(ticket: Ticket) -> int:
    """The agent has the ticket open: every visitor message so far is read."""
    upto = (
        ticket.messages.filter(author_kind=AuthorKind.CUSTOMER)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    ) or 0
    conversations = ChatConversation.objects.filter(ticket=ticket, agent_read_upto__lt=upto)
    for conversation in conversations.select_related("visitor"):
        conversation.agent_read_upto = upto
        conversation.save(update_fields=["agent_read_upto"])
        group_send(visitor_group(conversation.visitor.uid), frame("read", upto=upto))
    return upto


def _visitor_uids(ticket: Ticket) -> list[Any]:
    return list(
        ChatConversation.objects.filter(ticket=ticket).values_list("visitor__uid", flat=True)
    )


def push_to_ticket_visitors(ticket: Ticket, payload: dict[str, Any]) -> int:
    """Hook for other apps (a CSAT prompt: `{"type": "survey", "url": ...}`): send one frame
    to every visitor of the ticket's chat after commit. Returns how many visitors it targets."""
    uids = _visitor_uids(ticket)
    for uid in uids:
        after_commit_send(visitor_group(uid), {"v": PROTOCOL_VERSION, **payload})
    return len(uids)


# --- outbound --------------------------------------------------------------------------------


def push_agent_message(message: Message) -> str:
    """Deliver an agent's reply to every visitor in the ticket's chat, live; offline visitors
    get it from the `since` replay when they come back. Announces the agent on first reply."""
    linked = ChatConversation.objects.filter(ticket_id=message.ticket_id).select_related("visitor")
    conversations = list(linked)
    if link_ticket_conversations(message.ticket_id, {c.visitor.uid.hex for c in conversations}):
        conversations = list(linked.all())
    if not conversations:
        raise PermanentDeliveryError("no chat visitor is linked to this ticket")
    body = frame("message", message=message_frame(message))
    for conversation in conversations:
        group = visitor_group(conversation.visitor.uid)
        if message.author_id and conversation.agent_joined_id != message.author_id:
            conversation.agent_joined = message.author
            conversation.save(update_fields=["agent_joined"])
            group_send(group, frame("agent_joined", agent=agent_card(message.author)))
        group_send(group, body)
    return f"chat:{message.pk}"


def link_ticket_conversations(ticket_id: int, linked: set[str] | None = None) -> int:
    """Visitors whose messages the ingest queue filed (a retry, `replay_inbound`) rather than
    their own socket: link them here, one DISTINCT ON query for all of them. `linked`: the
    visitor uids (hex) already in the ticket's chat, when the caller has read them. Returns
    how many conversations it made."""
    if linked is None:
        linked = {
            uid.hex
            for uid in ChatConversation.objects.filter(ticket_id=ticket_id).values_list(
                "visitor__uid", flat=True
            )
        }
    events = (
        InboundEvent.objects.filter(kind="chat", message__ticket_id=ticket_id)
        .exclude(account_id__in=linked)
        .order_by("account_id", "id")
        .distinct("account_id")
        .select_related("message")
    )
    made = 0
    for event in events:
        visitor = ChatVisitor.objects.filter(uid=event.account_id).first()
        if visitor is not None:
            made += ChatConversation.objects.get_or_create(
                visitor=visitor, ticket_id=ticket_id, defaults={"first_message": event.message}
            )[1]
    return made


def visitor_panel(ticket: Ticket) -> ChatVisitor | None:
    link_ticket_conversations(ticket.pk)
    conversation = (
        ChatConversation.objects.filter(ticket=ticket)
        .select_related("visitor__channel")
        .order_by("-id")
        .first()
    )
    return conversation.visitor if conversation else None
