"""The ticket-level work of fast-path chat messages (livechat/fastpath.py), a moment later and
in batches.

A fast-path message is committed with its raw `InboundEvent` in status `received` and the
message set: "stored; the ticket's follow-ups are pending". This applies them for every such
event at once, in one transaction per batch, in message order:

- `tickets.signals.ticket_changed` for each message (CUSTOMER_MESSAGE, with the status move the
  message caused) — SLA clocks and first-reply facts, automation clocks and triggers, surveys,
  everything that follows tickets — with the configuration read once per batch
  (`inbound_snapshot`), not once per message;
- the ticket's search vector, once per ticket and at most once every few seconds however busy
  the chat (livechat/search_later.py, then the batched search queue);
- a routing offer for a chat that waits for an agent, once per ticket;
- the events marked `processed`.

Scheduling: after each fast-path commit, `schedule()` sets a short-lived flag in Redis and, if
it was not set yet, queues one `apply_chat_followups` task with a small countdown; the task
drops the flag before it reads, so a message committed after that read queues the next run.
Nothing is lost when a task is: the events stay `received`, the next run takes them all, and
the ingest queue's retry sweep (`channels_in`, two minutes) files any left behind through the
chat adapter, which applies the same follow-ups (`apply_for_event`). Rows are claimed with
`FOR UPDATE SKIP LOCKED`, so two runs never apply one message twice.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_in.models import InboundEvent, InboundStatus
from tickets.config_snapshot import inbound_snapshot
from tickets.models import AuthorKind, Message, Status, Ticket
from tickets.signals import TicketChange, TicketEvent, send_many

from . import offers, search_later
from .models import ChatReplyFollowUp

log = logging.getLogger(__name__)

# Nothing waits for the follow-ups but the clocks and triggers they start, and each run costs
# ~10 configuration and SLA queries whatever its size: at 0.15 s a busy site ran them for
# batches of ~20 messages; at 0.4 s the batches are larger and the per-message CPU smaller.
DELAY_SECONDS = 0.4
BATCH_SIZE = 500
FLAG_TTL_SECONDS = 30  # a queued task the broker lost stops blocking new ones after this


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _flag() -> str:
    # Per database: several sites (and test databases) may share one Redis.
    return f"madoguchi:livechat:followups:{settings.DATABASES['default']['NAME']}"


_queued_until = 0.0  # this process queued a run that cannot have started before this


def schedule() -> None:
    """After a fast-path commit: make sure a follow-up run is on its way.

    A run this process queued itself starts `DELAY_SECONDS` later at the earliest, so for most
    of that time another commit here needs no Redis round trip: that run will see it."""
    if not flag_needed():
        return
    try:
        if _redis().set(_flag(), 1, nx=True, ex=FLAG_TTL_SECONDS):
            queue_run()
    except Exception:  # noqa: BLE001 - the events wait for the next run or the ingest sweep
        log.warning("could not queue chat follow-ups; a later run applies them", exc_info=True)


def flag_needed() -> bool:
    """False while a run this process queued cannot have started yet (see `schedule`)."""
    return time.monotonic() >= _queued_until


def flag_name() -> str:
    """The flag's Redis key: the sockets set it (`SET NX EX FLAG_TTL_SECONDS`) in the same
    round trip as a message's live frames (livechat/fanout.py), then call `queue_run` if it
    was not set yet."""
    return _flag()


def queue_run() -> None:
    """Queue the run for a flag just set. In a thread: eager tasks (tests) run it here."""
    global _queued_until
    from .tasks import apply_chat_followups

    now = time.monotonic()
    try:
        apply_chat_followups.apply_async(countdown=DELAY_SECONDS)
    except Exception:  # noqa: BLE001 - the events wait for the next run or the ingest sweep
        log.warning("could not queue chat follow-ups; a later run applies them", exc_info=True)
        return
    if not apply_chat_followups.app.conf.task_always_eager:
        _queued_until = now + DELAY_SECONDS * 0.6


def pending_events():
    return InboundEvent.objects.filter(
        kind="chat", status=InboundStatus.RECEIVED, message__isnull=False
    )


def apply_pending(limit: int = BATCH_SIZE) -> int:
    """One run: drop the flag, apply the follow-ups of up to `limit` pending visitor messages
    and agent replies, queue another run when more wait. Returns how many were applied."""
    try:
        _redis().delete(_flag())
    except redis.RedisError:
        log.warning("chat follow-ups: Redis unavailable", exc_info=True)
    with inbound_snapshot(), transaction.atomic():
        events = list(
            pending_events()
            .select_for_update(skip_locked=True)
            .order_by("id")
            .only("id", "message_id", "headers")[:limit]
        )
        replies = list(
            ChatReplyFollowUp.objects.select_for_update(skip_locked=True).order_by("id")[:limit]
        )
        _apply(
            [(event.message_id, _status_move(event)) for event in events]
            + [(reply.message_id, reply.changes) for reply in replies]
        )
        if events:
            InboundEvent.objects.filter(pk__in=[event.pk for event in events]).update(
                status=InboundStatus.PROCESSED, processed_at=timezone.now(), attempts=1
            )
        if replies:
            ChatReplyFollowUp.objects.filter(pk__in=[reply.pk for reply in replies]).delete()
    if len(events) >= limit or len(replies) >= limit:
        schedule()
    return len(events) + len(replies)


def apply_for_event(event: InboundEvent) -> Message | None:
    """The follow-ups of one pending event, in the caller's transaction (the ingest sweep's
    `process_inbound`, through the chat adapter); the caller marks it processed."""
    _apply([(event.message_id, _status_move(event))])
    return Message.objects.filter(pk=event.message_id).first()


def _apply(items: list[tuple[int, dict]]) -> None:
    """`ticket_changed` for each (message id, changes) in message order — the order they were
    written, so SLA clocks see a question before its answer — then search and routing once per
    ticket."""
    if not items:
        return
    messages = Message.objects.select_related("author").in_bulk([mid for mid, _ in items])
    ticket_ids = sorted({message.ticket_id for message in messages.values()})
    # Locked in id order (no deadlock between two runs), as every ticket write locks it.
    tickets = (
        Ticket.objects.select_related("customer")
        .select_for_update(of=("self",))
        .in_bulk(ticket_ids)
    )
    events = []
    for message_id, changes in sorted(items, key=lambda item: item[0]):
        message = messages.get(message_id)
        ticket = tickets.get(message.ticket_id) if message else None
        if ticket is None:
            continue  # deleted since (the ticket and its messages): nothing to follow up
        message.ticket = ticket
        agent = message.author_kind == AuthorKind.AGENT
        events.append(
            TicketChange(
                ticket=ticket,
                event=TicketEvent.AGENT_REPLY if agent else TicketEvent.CUSTOMER_MESSAGE,
                actor=message.author if agent else None,
                message=message,
                changes={field: tuple(move) for field, move in (changes or {}).items()},
            )
        )
    # SLA takes the whole list set-wise; every other receiver each event in order.
    send_many(events, sender=Ticket)
    search_later.refresh_later(tickets)
    for ticket in tickets.values():
        if ticket.assignee_id is None and ticket.status in offers.WAITING_STATUSES:
            offers.request_offer(ticket.pk)


def _status_move(event: InboundEvent) -> dict:
    """{"status": (old, "open")} for the message that reopened a pending / on-hold chat: the
    fast path's statement wrote the old status into the event's `headers`."""
    before = (event.headers or {}).get("status_before")
    return {"status": (before, Status.OPEN)} if before else {}


def applied(event_ids: Iterable[int]) -> bool:
    """True when none of the events waits for its follow-ups any more (tests, the bench)."""
    return not pending_events().filter(pk__in=list(event_ids)).exists()
