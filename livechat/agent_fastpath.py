"""An agent's chat reply sent over the ticket page's chat socket, stored in one statement.

The reply form (`tickets.services.reply`) runs SLA, automation and search work inside the
write and redirects to a re-rendered ticket page: ~40 queries and ~75 ms of CPU a reply. A plain
text reply to a running chat (no files, macros, note or status pick — the page's script sends
only those here, everything else through the form) is, in one statement:

- checked (a live chat ticket — not solved, closed or merged — with a visitor, not turned into
  an email conversation, and no colleague's public reply after the message the agent last
  saw: the form's collision rule) with the ticket row locked, as `reply` does;
- stored: the Message (the agent's client id in `external_id`: a resend is the same reply),
  its chat `OutboundDelivery` (sent: the push follows from this process right after commit),
  the ticket's first reply, last activity, assignee (whoever answers first owns it) and status
  (pending), "agent joined" on the conversations, and a `ChatReplyFollowUp` row;

on the socket's event loop (livechat.aiodb); then the frames go out in one Redis round trip
(livechat.fanout), and the ticket-level work follows batched (livechat/followups.py), exactly
as `reply` would have sent `ticket_changed`.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from channels_in.models import DeliveryStatus, OutboundDelivery
from customers.models import Identity
from tickets import realtime
from tickets.models import AuthorKind, Message, Status, Ticket

from . import aiodb, fanout, limits, live
from .asyncdb import run_db
from .errors import ChatError
from .fastpath import LIVE_STATUSES
from .models import ChatConversation, ChatReplyFollowUp, ChatVisitor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredReply:
    message: dict[str, Any]  # the frames' `message` object
    ticket_id: int
    visitors: list[str]  # uids (hex) of the chat's visitors
    joined: list[str]  # those who see this agent for the first time


@functools.cache
def _statement() -> str:
    names = {
        "ticket": Ticket._meta.db_table,
        "conv": ChatConversation._meta.db_table,
        "visitor": ChatVisitor._meta.db_table,
        "message": Message._meta.db_table,
        "delivery": OutboundDelivery._meta.db_table,
        "identity": Identity._meta.db_table,
        "follow": ChatReplyFollowUp._meta.db_table,
    }
    live_statuses = ", ".join(f"'{status}'" for status in LIVE_STATUSES)
    return f"""
WITH target AS (
    SELECT t.id, t.status, t.assignee_id, t.identity_id FROM {names["ticket"]} t
    WHERE t.id = %(ticket)s AND t.channel = 'chat' AND t.merged_into_id IS NULL
        AND t.status IN ({live_statuses})
        AND EXISTS (SELECT 1 FROM {names["conv"]} c WHERE c.ticket_id = t.id)
        AND NOT EXISTS (
            SELECT 1 FROM {names["conv"]} c WHERE c.ticket_id = t.id AND c.email_followup)
        AND NOT EXISTS (
            SELECT 1 FROM {names["message"]} m
            WHERE m.ticket_id = t.id AND m.id > %(seen)s AND m.author_kind = %(agent_kind)s
                AND NOT m.internal AND m.author_id IS DISTINCT FROM %(agent)s)
    FOR UPDATE
), stored AS (
    INSERT INTO {names["message"]} (ticket_id, author_kind, author_id, identity_id, internal,
        channel, body_text, body_html, external_id, created_at)
    SELECT target.id, %(agent_kind)s, %(agent)s, NULL, false, 'chat', %(text)s, '', %(key)s,
        %(now)s
    FROM target
    ON CONFLICT (channel, external_id) WHERE NOT (external_id = '') DO NOTHING
    RETURNING id
), delivery AS (
    INSERT INTO {names["delivery"]} (message_id, kind, recipient, cc, status, attempts,
        provider_id, last_error, created_at, next_attempt_at, sent_at, receipt, receipt_at)
    SELECT stored.id, 'chat', COALESCE(i.handle, ''), '[]'::jsonb, %(sent)s, 1,
        'chat:' || stored.id, '', %(now)s, NULL, %(now)s, '', NULL
    FROM stored CROSS JOIN target LEFT JOIN {names["identity"]} i ON i.id = target.identity_id
), touched AS (
    UPDATE {names["ticket"]} t SET
        first_replied_at = COALESCE(t.first_replied_at, %(now)s), last_message_at = %(now)s,
        assignee_id = COALESCE(t.assignee_id, %(agent)s), status = %(pending)s,
        updated_at = %(now)s
    FROM stored WHERE t.id = %(ticket)s
    RETURNING t.id
), joined AS (
    UPDATE {names["conv"]} c SET agent_joined_id = %(agent)s
    FROM stored WHERE c.ticket_id = %(ticket)s AND c.agent_joined_id IS DISTINCT FROM %(agent)s
    RETURNING c.visitor_id
), follow AS (
    INSERT INTO {names["follow"]} (message_id, changes, created_at)
    SELECT stored.id, jsonb_strip_nulls(jsonb_build_object(
            'status', CASE WHEN target.status <> %(pending)s
                THEN jsonb_build_array(target.status, %(pending)s) END,
            'assignee_id', CASE WHEN target.assignee_id IS NULL
                THEN jsonb_build_array(NULL, %(agent)s) END)),
        %(now)s
    FROM stored CROSS JOIN target
)
SELECT stored.id,
    ARRAY(SELECT v.uid::text FROM {names["conv"]} c JOIN {names["visitor"]} v
        ON v.id = c.visitor_id WHERE c.ticket_id = %(ticket)s ORDER BY c.id),
    ARRAY(SELECT v.uid::text FROM joined JOIN {names["visitor"]} v ON v.id = joined.visitor_id),
    (SELECT count(*) FROM touched)
FROM stored
"""  # noqa: S608 - only table names and status constants are formatted in; values are params


def reply_key(ticket_id: int, agent_id: int, client_id: str) -> str:
    return f"chat-agent:{ticket_id}:{agent_id}:{client_id}"


def checked_reply(agent: Any, client_id: Any, text: Any, seen: Any) -> tuple[str, str, int]:
    """The `reply` frame's client id, text and last-seen message id, checked."""
    if not getattr(agent, "can_reply_publicly", False):
        raise ChatError("forbidden", "you may add internal notes only")
    client_id = str(client_id or "")
    if not limits.CLIENT_ID.match(client_id):
        raise ChatError("bad_client_id", "id must be 1-64 letters, digits, - or _")
    if not isinstance(text, str) or not text.strip():
        raise ChatError("empty", "the reply is empty")
    text = text.strip()
    if len(text) > limits.MAX_TEXT_CHARS:
        raise ChatError("too_long", f"a reply may have at most {limits.MAX_TEXT_CHARS} characters")
    try:
        seen = max(int(seen or 0), 0)
    except (TypeError, ValueError):
        raise ChatError("bad_seen", "seen must be a message id") from None
    return client_id, text, seen


async def receive_reply(
    layer: Any, ticket_id: int, agent: Any, *, client_id: Any, text: Any, seen: Any = 0
) -> dict[str, Any]:
    """The `reply` frame → its `reply_ack`, sent after the visitors have the reply (stored on
    the event loop: one statement, livechat.aiodb). ChatError `use_form` when this reply
    needs the reply form (the ticket is not a running chat any more, a colleague answered
    meanwhile): the page submits the form, which says why."""
    client_id, text, seen = checked_reply(agent, client_id, text, seen)
    key = reply_key(ticket_id, agent.pk, client_id)
    now = timezone.now()
    params = {
        "ticket": ticket_id,
        "seen": seen,
        "agent": agent.pk,
        "agent_kind": AuthorKind.AGENT,
        "text": text,
        "key": key,
        "now": now,
        "sent": DeliveryStatus.SENT,
        "pending": Status.PENDING,
    }
    row = await aiodb.fetchone(_statement(), params)
    if row is None:
        return await run_db(_earlier_reply)(key, client_id)
    message_id, visitors, joined, _touched = row
    message = {
        "id": message_id,
        "from": "agent",
        "text": text,
        "at": now.isoformat(),
        "attachments": [],
        "agent": live.agent_card(agent),
    }
    stored = StoredReply(message, ticket_id, list(visitors or []), list(joined or []))
    await announce_reply(layer, agent, stored)
    return live.frame("reply_ack", id=client_id, duplicate=False, message=message)


def _earlier_reply(key: str, client_id: str) -> dict[str, Any]:
    """A resend of a stored reply gets its ack again; anything else goes to the form."""
    earlier = (
        Message.objects.filter(channel="chat", external_id=key).select_related("author").first()
    )
    if earlier is None:
        raise ChatError("use_form", "send this reply with the reply form")
    return live.frame(
        "reply_ack", id=client_id, duplicate=True, message=live.message_frame(earlier, ())
    )


async def announce_reply(layer: Any, agent: Any, stored: StoredReply) -> None:
    """The reply, live: to each of the chat's visitors ("agent joined" first for those who
    meet this agent now), then `message.created` to every open inbox, and the follow-ups on
    their way — one Redis round trip (livechat.fanout)."""
    body = {"type": "chat.frame", "frame": live.frame("message", message=stored.message)}
    joined = set(stored.joined)
    sends = []
    for uid in stored.visitors:
        group = live.visitor_group(uid)
        if uid in joined:
            card = live.agent_card(agent)
            sends.append(
                (group, {"type": "chat.frame", "frame": live.frame("agent_joined", agent=card)})
            )
        sends.append((group, body))
    event = {
        "v": realtime.EVENT_VERSION,
        "type": "message.created",
        "ticket": stored.ticket_id,
        "message": stored.message["id"],
        "status": Status.PENDING,
        "channel": "chat",
    }
    sends.append((realtime.AGENTS_GROUP, {"type": "agent.event", "event": event}))
    await fanout.send(layer, sends)
