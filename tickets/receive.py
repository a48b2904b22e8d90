"""The inbound write path: a customer's message becomes a ticket message (every channel).

`receive_message` files one message in its own savepoint; `receive_batch` files many inside
the caller's transaction with one duplicate check for all of them — the path the inbound
batches of `channels_in` take, where one failure rolls the batch back and each message is then
filed alone with `receive_message`. Both are re-exported by `tickets.services`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.privacy import redact_pii
from customers.services import identity_resolve
from helpdesk.html import sanitize_html

from . import realtime
from .changes import changes, tracked
from .inbound import IncomingAttachment, IncomingMessage
from .models import Attachment, AuthorKind, LinkKind, Message, Status, Ticket, TicketLink
from .search_index import ticket_search_refresh
from .search_queue import ticket_search_refresh_later
from .signals import TicketEvent, ticket_changed

# Channels where a conversation is one continuous thread per customer (no subject, no
# references): a new message belongs to the customer's open ticket on that channel.
CONVERSATIONAL_CHANNELS = frozenset(
    {"chat", "line", "messenger", "instagram", "whatsapp", "telegram", "sms", "x"}
)
MAX_MERGE_HOPS = 10
# What the duplicate check reads of an earlier copy: callers need its id and ticket only.
_KNOWN_FIELDS = ("id", "ticket_id", "channel", "external_id", "identity_id", "created_at")


def receive_message(incoming: IncomingMessage, *, index_later: bool = False) -> Message | None:
    """Store one inbound message: resolve the customer, thread it, notify open inboxes.

    Idempotent: the same (channel, external_id) a second time returns the first Message.
    Returns None for a blocked customer: nothing opens or notifies; the raw inbound event the
    channel stored first is the record, and replaying it after an unblock files it normally.
    `index_later`: the search vector is refreshed by a batched task a moment after commit
    (tickets.search_queue) instead of inside this transaction — the channels' bulk path.
    """
    if incoming.external_id:
        existing = _known(incoming.channel, [incoming.external_id]).get(incoming.external_id)
        if existing:
            return existing
    try:
        with transaction.atomic():
            return _store_incoming(incoming, index_later=index_later)
    except IntegrityError:
        # A concurrent delivery of the same message won the race on the unique constraint.
        existing = _known(incoming.channel, [incoming.external_id]).get(incoming.external_id)
        if existing is None:
            raise
        return existing


def receive_batch(incomings: Sequence[IncomingMessage]) -> list[Message | None]:
    """File many inbound messages in the caller's transaction, in order; search indexing is
    batched after commit. Returns what `receive_message` would return for each (a message
    stored before comes back as it is; None for a blocked sender). Set-wise: one statement
    per step for the whole batch (tickets.receive_bulk). No savepoint per message, so any
    error — a concurrent copy winning a unique constraint included — propagates and the
    caller must roll back the whole transaction (then file each message alone with
    `receive_message`)."""
    from .receive_bulk import receive_batch as file_together

    return file_together(incomings)


def _known(channel: str, external_ids: Sequence[str]) -> dict[str, Message]:
    if not external_ids:
        return {}
    found = Message.objects.filter(
        channel=channel, external_id__in=[key[:500] for key in external_ids]
    ).only(*_KNOWN_FIELDS)
    return {message.external_id: message for message in found}


def _store_incoming(incoming: IncomingMessage, *, index_later: bool = False) -> Message | None:
    identity = identity_resolve(
        kind=incoming.identity_kind, handle=incoming.handle, display_name=incoming.display_name
    )
    if identity.customer.is_blocked:
        return None
    ticket, closed_earlier = _thread_for(incoming, identity.customer_id)
    created = ticket is None
    now = timezone.now()
    if created:
        ticket = Ticket.objects.create(
            subject=redact_pii(incoming.subject or _first_line(incoming.body_text))[:300]
            or _("(no subject)"),
            channel=incoming.channel,
            customer=identity.customer,
            identity=identity,
            status=Status.NEW,
            # The team that had the conversation before is the one that knows it.
            team_id=closed_earlier.team_id if closed_earlier else None,
            # Set now, so a new ticket needs no second UPDATE after its first message.
            last_message_at=now,
            customer_activity_at=now,
        )
        if closed_earlier is not None:
            TicketLink.objects.create(ticket=ticket, origin=closed_earlier, kind=LinkKind.FOLLOW_UP)
    before = {} if created else tracked(ticket)
    if not created and ticket.status not in (Status.NEW, Status.OPEN):
        ticket.status = Status.OPEN  # the customer wrote again: it needs us
        ticket.solved_at = None
        ticket.closed_at = None
    message = Message.objects.create(
        ticket=ticket,
        author_kind=AuthorKind.CUSTOMER,
        identity=identity,
        channel=incoming.channel,
        # Card numbers, My Number and passwords never reach the database or the index.
        body_text=redact_pii(incoming.body_text),
        body_html=redact_pii(sanitize_html(incoming.body_html)) if incoming.body_html else "",
        external_id=incoming.external_id[:500],
    )
    store_attachments(message, incoming.attachments)
    if not created:
        ticket.last_message_at = now
        ticket.customer_activity_at = now  # unread for every agent who has not opened it since
        ticket.save()
    if index_later:
        ticket_search_refresh_later(ticket.pk)
    else:
        ticket_search_refresh(ticket)
    ticket_changed.send(
        sender=Ticket,
        ticket=ticket,
        event=TicketEvent.CREATED if created else TicketEvent.CUSTOMER_MESSAGE,
        actor=None,
        message=message,
        changes=changes(before, ticket) if before else {},
    )
    realtime.publish(
        "ticket.created" if created else "message.created",
        ticket=ticket.pk,
        message=message.pk,
        status=ticket.status,
        channel=ticket.channel,
    )
    return message


def _thread_for(incoming: IncomingMessage, customer_id: int) -> tuple[Ticket | None, Ticket | None]:
    """(the ticket this message continues, None) — or (None, the closed ticket it follows up
    on) when it must start a new ticket linked to that one — or (None, None) when it simply
    starts a new conversation.

    A closed ticket is continued (and reopened) only within settings.REOPEN_CLOSED_WITHIN_DAYS
    of its closing: after that the customer is starting something new, and the old ticket's
    history (and any CSAT already given on it) stays as it was. Never a silent drop.
    """
    earlier = _earlier_ticket(incoming, customer_id)
    if earlier is None:
        return None, None
    hops = 0
    while earlier.merged_into_id and hops < MAX_MERGE_HOPS:  # merged: the thread went there
        earlier = Ticket.objects.select_for_update().get(pk=earlier.merged_into_id)
        hops += 1
    if earlier.status != Status.CLOSED or _reopenable(earlier):
        return earlier, None
    return None, earlier


def _earlier_ticket(incoming: IncomingMessage, customer_id: int) -> Ticket | None:
    tickets = Ticket.objects.select_for_update()
    if incoming.replies_to:
        # One statement: the ticket of the newest message it answers, locked.
        answered = (
            Message.objects.filter(external_id__in=incoming.replies_to)
            .order_by("-created_at")
            .values("ticket_id")[:1]
        )
        earlier = tickets.filter(pk__in=answered).first()
        if earlier:
            return earlier
    if incoming.ticket_hint:
        hinted = tickets.filter(pk=incoming.ticket_hint, customer_id=customer_id).first()
        if hinted:
            return hinted
    if incoming.channel in CONVERSATIONAL_CHANNELS:
        mine = tickets.filter(customer_id=customer_id, channel=incoming.channel)
        # The open conversation if there is one, else the latest closed one (policy decides).
        return (
            mine.exclude(status=Status.CLOSED).order_by("-updated_at").first()
            or mine.order_by("-updated_at", "-id").first()
        )
    return None


def _reopenable(ticket: Ticket) -> bool:
    days = settings.REOPEN_CLOSED_WITHIN_DAYS
    if days <= 0:
        return False
    closed_at = ticket.closed_at or ticket.updated_at  # closed before closed_at was recorded
    return timezone.now() - closed_at <= timedelta(days=days)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def store_attachments(message: Message, attachments: Iterable[IncomingAttachment]) -> None:
    """Each file written to storage once, from the bytes the parser decoded; the rows in one
    INSERT."""
    rows = []
    for item in attachments:
        attachment = Attachment(
            message=message,
            token=secrets.token_hex(16),
            filename=(item.filename or "attachment")[:255],
            content_type=(item.content_type or "application/octet-stream")[:200],
            size=len(item.content),
        )
        attachment.file.save(attachment.token, ContentFile(item.content), save=False)
        rows.append(attachment)
    if rows:
        Attachment.objects.bulk_create(rows)
