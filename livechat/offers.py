"""Chat routing by offers: a waiting chat is offered to one available agent with room for it;
they accept (the chat is theirs) or decline, and an offer nobody answers in the channel's
`offer_timeout` goes to the next agent. Agents can still pick a chat from "Chats waiting"
themselves: any assignment withdraws the open offer.

State is the `ChatOffer` row (one pending per ticket, enforced by a partial unique index),
written under a lock on the ticket row, so two web processes, a Celery timer and a beat sweep
can all try at once and exactly one offer stands. The timeout is the server's: a timer task
per offer (`tasks.expire_chat_offer`) and the beat sweep (`tasks.sweep_chat_offers`) both
expire due offers; the browser's countdown is only a display.

Agents hear of offers through the inbox socket (`tickets.realtime.publish` with `user`, so
only the agent offered sees it): `chat.offer` and `chat.offer.closed`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import User
from tickets import realtime
from tickets.models import AuthorKind, Channel, Ticket

from .errors import ChatError
from .models import ChatOffer, OfferStatus
from .offer_candidates import (  # re-exported: callers know them as offers.*
    WAITING_STATUSES,
    anyone_has_room,
    chat_channel_of,
    is_waiting,
    offer_candidates,
)

log = logging.getLogger(__name__)

SWEEP_BATCH = 200
# The sweep looks for chats that waited without an offer (nobody was free then) this far back.
SWEEP_WINDOW = timedelta(hours=12)


class OfferGone(ChatError):
    """The offer was answered, withdrawn or timed out before this answer arrived."""


# --- offering -------------------------------------------------------------------------------


def offer_next(ticket_id: int, *, now: datetime | None = None) -> ChatOffer | None:
    """Offer the chat to the best next agent, unless it is not waiting or an offer stands.

    Idempotent and safe to run from anywhere at any time: the ticket row is locked, and a
    second pending offer cannot exist (the unique index turns a lost race into a no-op).
    """
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update().select_related("customer").filter(pk=ticket_id)
        ).first()
        if ticket is None or not is_waiting(ticket):
            return None
        if ChatOffer.objects.filter(ticket=ticket, status=OfferStatus.PENDING).exists():
            return None
        candidates = offer_candidates(ticket)
        if not candidates:
            return None
        agent = candidates[0]
        channel = chat_channel_of(ticket.pk)
        timeout = channel.offer_timeout if channel else 30
        try:
            with transaction.atomic():
                offer = ChatOffer.objects.create(
                    ticket=ticket,
                    agent=agent,
                    channel=channel,
                    offered_at=now,
                    expires_at=now + timedelta(seconds=timeout),
                )
        except IntegrityError:
            return None
        realtime.publish("chat.offer", user=agent.pk, **offer_event(offer, ticket))
        transaction.on_commit(lambda: _schedule_expiry(offer.pk, timeout))
    return offer


def _schedule_expiry(offer_id: int, timeout: int) -> None:
    from .tasks import expire_chat_offer

    try:
        # One second late on purpose: the task finds the offer due, not a hair early.
        expire_chat_offer.apply_async((offer_id,), countdown=timeout + 1)
    except Exception:  # noqa: BLE001 - the beat sweep expires it instead
        log.warning("could not schedule the expiry of chat offer %s", offer_id, exc_info=True)


def offer_event(offer: ChatOffer, ticket: Ticket) -> dict[str, Any]:
    """What the agent's offer card shows. Texts are the customer's: the page sets them as
    text, never as HTML."""
    first = (
        ticket.messages.filter(author_kind=AuthorKind.CUSTOMER, internal=False)
        .order_by("-id")
        .values_list("body_text", flat=True)
        .first()
    )
    return {
        "offer": offer.pk,
        "ticket": ticket.pk,
        "subject": ticket.subject[:200],
        "customer": (ticket.customer.name or "")[:100] if ticket.customer_id else "",
        "preview": (first or "")[:200],
        "channel_name": offer.channel.name if offer.channel_id else "",
        "waiting_since": ticket.created_at.isoformat(),
        "expires_at": offer.expires_at.isoformat(),
        "timeout": int((offer.expires_at - offer.offered_at).total_seconds())
        if offer.offered_at
        else 0,
        "url": reverse("tickets:detail", args=[ticket.pk]),
        "accept_url": reverse("livechat:offer_accept", args=[offer.pk]),
        "decline_url": reverse("livechat:offer_decline", args=[offer.pk]),
    }


def _close(offer: ChatOffer, status: str, *, now: datetime, note: str = "") -> None:
    offer.status = status
    offer.answered_at = now
    offer.note = note[:100]
    offer.save(update_fields=["status", "answered_at", "note"])
    realtime.publish(
        "chat.offer.closed",
        user=offer.agent_id,
        offer=offer.pk,
        ticket=offer.ticket_id,
        outcome=status,
    )


def _locked_offer(offer_id: int, agent: User) -> ChatOffer:
    offer = ChatOffer.objects.select_for_update().filter(pk=offer_id, agent=agent).first()
    if offer is None:
        raise ChatError("no_offer", "there is no such offer for you")
    return offer


def accept_offer(*, offer_id: int, agent: User, now: datetime | None = None) -> Ticket:
    """The agent takes the chat: it is assigned to them (the visitor is told who answers)."""
    from tickets.services import update_ticket

    now = now or timezone.now()
    with transaction.atomic():
        Ticket.objects.select_for_update().filter(chat_offers__pk=offer_id).first()
        offer = _locked_offer(offer_id, agent)
        if offer.status != OfferStatus.PENDING:
            raise OfferGone("offer_gone", "this offer was already answered or withdrawn")
        if offer.expires_at > now:
            _close(offer, OfferStatus.ACCEPTED, now=now)
            return update_ticket(ticket=offer.ticket, actor=agent, assignee=agent)
    # Too late, though the timer has not run yet: the server's clock decides.
    expire_offer(offer_id, now=now)
    raise OfferGone("offer_expired", "the offer timed out; the chat went to the next agent")


def decline_offer(*, offer_id: int, agent: User, now: datetime | None = None) -> ChatOffer:
    now = now or timezone.now()
    with transaction.atomic():
        offer = _locked_offer(offer_id, agent)
        if offer.status != OfferStatus.PENDING:
            raise OfferGone("offer_gone", "this offer was already answered or withdrawn")
        _close(offer, OfferStatus.DECLINED, now=now)
        ticket_id = offer.ticket_id
        transaction.on_commit(lambda: offer_next(ticket_id))
    return offer


def expire_offer(offer_id: int, *, now: datetime | None = None) -> bool:
    """Time out an offer that is due (and offer the chat to the next agent). A run before
    the offer is due, or after it was answered, changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = (
            ChatOffer.objects.select_for_update()
            .filter(pk=offer_id, status=OfferStatus.PENDING, expires_at__lte=now)
            .first()
        )
        if offer is None:
            return False
        _close(offer, OfferStatus.EXPIRED, now=now)
        ticket_id = offer.ticket_id
        transaction.on_commit(lambda: offer_next(ticket_id, now=now))
    return True


def withdraw_offers(ticket_id: int, *, note: str, now: datetime | None = None) -> int:
    """The chat no longer needs an offer (somebody took it, the chat ended)."""
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        for offer in ChatOffer.objects.select_for_update().filter(
            ticket_id=ticket_id, status=OfferStatus.PENDING
        ):
            _close(offer, OfferStatus.WITHDRAWN, now=now, note=note)
            count += 1
    return count


def request_offer(ticket_id: int) -> None:
    """After the current transaction: offer the chat if it waits (a visitor's message, a
    hand-off from the bot, a transfer back to the queue)."""
    transaction.on_commit(lambda: _safe_offer_next(ticket_id))


def _safe_offer_next(ticket_id: int) -> None:
    try:
        offer_next(ticket_id)
    except Exception:  # noqa: BLE001 - routing must never fail the visitor's message
        log.exception("could not offer chat ticket %s", ticket_id)


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: expire every due offer, then offer chats that wait without one (nobody was free
    when they arrived, or an agent has just come online)."""
    now = now or timezone.now()
    due = list(
        ChatOffer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now).values_list(
            "pk", flat=True
        )[:SWEEP_BATCH]
    )
    expired = sum(expire_offer(pk, now=now) for pk in due)
    waiting = (
        Ticket.objects.filter(
            channel=Channel.CHAT,
            assignee__isnull=True,
            status__in=WAITING_STATUSES,
            updated_at__gte=now - SWEEP_WINDOW,
            chat_conversations__ended_at__isnull=True,
        )
        .exclude(chat_offers__status=OfferStatus.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)
        .distinct()[:SWEEP_BATCH]
    )
    offered = 0
    if anyone_has_room():
        offered = sum(1 for pk in list(waiting) if offer_next(pk, now=now))
    return {"expired": expired, "offered": offered}


# --- reads -----------------------------------------------------------------------------------


def pending_offers_for(agent: User) -> list[dict[str, Any]]:
    offers = ChatOffer.objects.filter(
        agent=agent, status=OfferStatus.PENDING, expires_at__gt=timezone.now()
    ).select_related("ticket__customer", "channel")
    return [{"v": 1, "type": "chat.offer", **offer_event(o, o.ticket)} for o in offers]


def offer_summary(since: datetime) -> list[dict[str, Any]]:
    """Per agent since `since`: offers by outcome and the median seconds to accept."""
    rows = (
        ChatOffer.objects.filter(offered_at__gte=since)
        .values("agent_id", "status")
        .annotate(n=Count("pk"))
    )
    by_agent: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_agent.setdefault(row["agent_id"], dict.fromkeys(OfferStatus.values, 0))
        entry[row["status"]] = row["n"]
    accepted = ChatOffer.objects.filter(
        offered_at__gte=since, status=OfferStatus.ACCEPTED, answered_at__isnull=False
    ).values_list("agent_id", "offered_at", "answered_at")
    waits: dict[int, list[float]] = {}
    for agent_id, offered_at, answered_at in accepted:
        waits.setdefault(agent_id, []).append((answered_at - offered_at).total_seconds())
    users = {u.pk: u for u in User.objects.filter(pk__in=by_agent)}
    summary = []
    for agent_id, counts in by_agent.items():
        times = sorted(waits.get(agent_id, []))
        total = sum(counts.values())
        summary.append(
            {
                "agent": users.get(agent_id),
                "counts": counts,
                "total": total,
                "accept_rate": round(100 * counts[OfferStatus.ACCEPTED] / total) if total else 0,
                "median_accept_seconds": round(times[len(times) // 2]) if times else None,
            }
        )
    summary.sort(key=lambda row: (-row["total"], row["agent"].pk if row["agent"] else 0))
    return summary


# --- ticket changes ---------------------------------------------------------------------------


def on_ticket_changed(sender: Any, *, ticket, event, changes=None, **kwargs: Any) -> None:
    """`tickets.signals.ticket_changed` receiver: an assignment (an agent picked the chat,
    automations gave it away) withdraws the open offer; a chat put back in the queue
    (assignee removed, moved to a team) is offered again."""
    if ticket.channel != Channel.CHAT or event != "updated" or not changes:
        return
    if "assignee_id" in changes:
        _old, new = changes["assignee_id"]
        if new:
            withdraw_offers(ticket.pk, note="assigned")
            return
    if ticket.assignee_id is not None:
        return
    if "team_id" in changes or "assignee_id" in changes:
        withdraw_offers(ticket.pk, note="rerouted")
        request_offer(ticket.pk)
    elif "status" in changes and ticket.status not in WAITING_STATUSES:
        withdraw_offers(ticket.pk, note="status")
