"""The chat's fast path: a visitor's next message in a live conversation, stored in one
statement.

The general inbound path (channels_in → `tickets.services.receive_message`) resolves the
customer, threads the message, runs the SLA, automation and search work inside the write and
costs ~45 queries and ~40 ms of CPU a message: a chat site could take ~20 messages a second.
A chat message in a conversation that is already running needs none of the threading
decisions, so here one `INSERT … RETURNING` (a CTE) does, atomically, in autocommit:

- check the conversation still takes messages as they are (the visitor's latest conversation,
  not ended, its ticket a live chat ticket — not solved, closed or merged — of this visitor's
  identity, the customer not blocked, the answer bot not waiting for a verdict, the client id
  not seen before), locking the ticket row as `receive_message` does;
- insert the Message (the unique (channel, external_id) makes a resend a no-op), its raw
  `InboundEvent` (status `received`, with the message: "follow-ups pending"), and
- update the ticket's last activity, unread marker and status (pending / on hold → open).

The statement runs on the socket's event loop, prepared once per connection (livechat.aiodb):
no thread hop. The row is committed before the visitor gets the `ack`; the live frames and
the follow-up flag leave in one Redis round trip (livechat.fanout). The ticket-level work
the general path does inside the write — `ticket_changed` (SLA clocks, automations,
feedback, …), search indexing, routing offers — follows a moment later, batched
(livechat/followups.py). When any check fails the statement stores nothing and returns no
message: the caller takes the general path (first message, ended chat, reopened ticket,
files, duplicates, offline hours).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from channels_in.models import InboundEvent, InboundStatus
from customers.models import Customer, Identity
from customers.privacy import redact_pii
from customers.services import normalize_handle
from tickets import realtime
from tickets.models import AuthorKind, Message, Status, Ticket

from . import aiodb, fanout, live
from .asyncdb import run_db
from .availability import team_availability
from .errors import ChatError
from .messages import checked_message, visitor_message_ack
from .models import BotOutcome, ChatBotTurn, ChatConversation, ChatVisitor
from .visitors import needs_profile, visitor_handle

log = logging.getLogger(__name__)

# Statuses a customer's message keeps (new, open) or moves to open; solved and closed tickets
# take the general path (reopen rules, follow-up tickets, survey cancelling).
LIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
KEPT_STATUSES = (Status.NEW, Status.OPEN)
AVAILABILITY_SECONDS = 2.0


@dataclass(frozen=True)
class Stored:
    """A message the fast path committed: what the frames need."""

    message: dict[str, Any]  # the frames' `message` object
    ticket_id: int
    status: str  # the ticket's status after the message
    # The visitor has other sockets open (ChatVisitor.connections): they get the echo. A
    # single tab has the message in its `ack`; the echo would be a second channel-layer send.
    other_tabs: bool = True


@functools.cache
def _statement() -> str:
    """The one statement (table names from the models, so a rename cannot drift)."""
    names = {
        "conv": ChatConversation._meta.db_table,
        "turn": ChatBotTurn._meta.db_table,
        "ticket": Ticket._meta.db_table,
        "identity": Identity._meta.db_table,
        "customer": Customer._meta.db_table,
        "message": Message._meta.db_table,
        "event": InboundEvent._meta.db_table,
        "visitor": ChatVisitor._meta.db_table,
    }
    live = ", ".join(f"'{status}'" for status in LIVE_STATUSES)
    kept = ", ".join(f"'{status}'" for status in KEPT_STATUSES)
    return f"""
WITH latest AS (
    SELECT id, ticket_id, ended_at FROM {names["conv"]}
    WHERE visitor_id = %(visitor)s ORDER BY id DESC LIMIT 1
), target AS (
    SELECT t.id, t.status, i.id AS identity_id
    FROM latest
    JOIN {names["ticket"]} t ON t.id = latest.ticket_id
    JOIN {names["identity"]} i
        ON i.kind = 'chat' AND i.handle = %(handle)s AND i.customer_id = t.customer_id
    JOIN {names["customer"]} c ON c.id = i.customer_id
    WHERE latest.ended_at IS NULL
        AND t.channel = 'chat' AND t.merged_into_id IS NULL AND t.status IN ({live})
        AND c.blocked_at IS NULL AND (c.name <> '' OR %(name)s = '')
        AND NOT EXISTS (
            SELECT 1 FROM {names["turn"]} b
            WHERE b.conversation_id = latest.id AND b.outcome = %(answered)s)
        AND NOT EXISTS (
            SELECT 1 FROM {names["event"]} e
            WHERE e.kind = 'chat' AND e.idempotency_key = %(key)s)
    FOR UPDATE OF t
), stored AS (
    INSERT INTO {names["message"]} (ticket_id, author_kind, author_id, identity_id, internal,
        channel, body_text, body_html, external_id, created_at)
    SELECT target.id, %(customer)s, NULL, target.identity_id, false,
        'chat', %(text)s, '', %(key)s, %(now)s
    FROM target
    ON CONFLICT (channel, external_id) WHERE NOT (external_id = '') DO NOTHING
    RETURNING id, ticket_id
), raw AS (
    INSERT INTO {names["event"]} (kind, account_id, idempotency_key, payload, headers, status,
        error, attempts, received_at, processed_at, next_attempt_at, message_id)
    SELECT 'chat', %(account)s, %(key)s, %(payload)s,
        CASE WHEN target.status IN ({kept}) THEN '{{}}'::jsonb
            ELSE jsonb_build_object('status_before', target.status) END,
        %(received)s, '', 0, %(now)s, NULL, NULL, stored.id
    FROM stored JOIN target ON target.id = stored.ticket_id
    ON CONFLICT (kind, idempotency_key) DO NOTHING
    RETURNING id
), touched AS (
    UPDATE {names["ticket"]} t SET
        status = CASE WHEN t.status IN ({kept}) THEN t.status ELSE %(open)s END,
        last_message_at = %(now)s, customer_activity_at = %(now)s, updated_at = %(now)s
    FROM stored WHERE t.id = stored.ticket_id
    RETURNING t.status
)
SELECT stored.id, stored.ticket_id, target.status, (SELECT status FROM touched),
    (SELECT id FROM raw), (SELECT connections FROM {names["visitor"]} WHERE id = %(visitor)s)
FROM stored JOIN target ON target.id = stored.ticket_id
"""  # noqa: S608 - only table names and status constants are formatted in; values are params


_availability: dict[str, Any] = {"at": 0.0, "value": None}


def availability() -> dict[str, Any]:
    """`team_availability()`, remembered for two seconds per process: it reads the business
    calendar and Redis, and who is online changes on a scale of minutes."""
    now = time.monotonic()
    if _availability["value"] is None or now - _availability["at"] > AVAILABILITY_SECONDS:
        _availability.update(value=team_availability(), at=now)
    return _availability["value"]


async def current_availability() -> dict[str, Any]:
    """`availability()` without a thread hop while the remembered value is fresh."""
    value = _availability["value"]
    if value is not None and time.monotonic() - _availability["at"] <= AVAILABILITY_SECONDS:
        return value
    return await run_db(availability)()


def forget_availability() -> None:
    _availability.update(value=None, at=0.0)


async def receive_message(
    layer: Any,
    visitor: ChatVisitor,
    *,
    client_id: Any,
    text: Any,
    uploads: Any = (),
    over_limit: bool = False,
) -> dict[str, Any]:
    """The socket's `message` frame → its `ack` frame.

    A running conversation's text message is stored on the event loop (one statement,
    livechat.aiodb) and announced from here; anything else — files, the first message, an
    ended chat, a duplicate, offline hours — takes the general path in a thread, which sends
    its own frames after its commit. The socket counted the frame against the visitor's
    message limit already (`over_limit`: past it)."""
    client_id, text, tokens = checked_message(client_id, text, uploads)
    if over_limit:
        raise ChatError("rate_limited", "too many messages; wait a moment")
    stored = None if tokens else await store_message(visitor, client_id, text)
    if stored is None:
        return await run_db(visitor_message_ack)(
            visitor, client_id=client_id, text=text, uploads=tokens, counted=True
        )
    await announce(layer, visitor, stored)
    return live.frame("ack", id=client_id, duplicate=False, message=stored.message)


async def store_message(visitor: ChatVisitor, client_id: str, text: str) -> Stored | None:
    """Store a checked text message of a running conversation; None when the general path
    must take it (nothing was stored)."""
    online = (await current_availability())["online"]
    if not online or needs_profile(visitor, offline=False):
        return None  # offline: the general path turns the chat into an email
    key = f"chat:{visitor.uid.hex}:{client_id}"
    now = timezone.now()
    body = redact_pii(text)
    payload = {
        "visitor": visitor.uid.hex,
        "channel": visitor.channel_id,
        "client_id": client_id,
        "handle": visitor_handle(visitor),
        "name": visitor.name,
        "text": text,
        "uploads": [],
        "page_url": visitor.page_url,
    }
    params = {
        "visitor": visitor.pk,
        "handle": normalize_handle("chat", visitor_handle(visitor)),
        "name": visitor.name or "",
        "answered": BotOutcome.ANSWERED,
        "key": key[:500],
        "customer": AuthorKind.CUSTOMER,
        "text": body,
        "now": now,
        "account": visitor.uid.hex,
        "payload": json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        "received": InboundStatus.RECEIVED,
        "open": Status.OPEN,
    }
    row = await aiodb.fetchone(_statement(), params)
    if row is None:
        return None
    message_id, ticket_id, old_status, new_status, _event_id, sockets = row
    stored = Stored(
        message={
            "id": message_id,
            "from": "visitor",
            "text": body,
            "at": now.isoformat(),
            "attachments": [],
            "client_id": client_id,
        },
        ticket_id=ticket_id,
        status=new_status or old_status,
        other_tabs=(sockets or 0) > 1,
    )
    return stored


async def announce(layer: Any, visitor: ChatVisitor, stored: Stored) -> None:
    """The committed message, live: `message.created` to every open agent inbox (as
    `tickets.realtime.publish` sends it after a commit), the echo to the visitor's other tabs,
    if any, and the follow-ups on their way — one Redis round trip (livechat.fanout)."""
    event = {
        "v": realtime.EVENT_VERSION,
        "type": "message.created",
        "ticket": stored.ticket_id,
        "message": stored.message["id"],
        "status": stored.status,
        "channel": "chat",
    }
    sends = [(realtime.AGENTS_GROUP, {"type": "agent.event", "event": event})]
    if stored.other_tabs:
        echo = {"type": "chat.frame", "frame": live.frame("message", message=stored.message)}
        sends.append((live.visitor_group(visitor.uid), echo))
    await fanout.send(layer, sends)
