"""Many inbound messages filed together: the batch behind `tickets.receive.receive_batch`.

One message at a time (`receive._store_incoming`) costs an identity SELECT, a threading SELECT,
a ticket INSERT, a message INSERT, an attachments INSERT, a Redis round trip for the search
mark and a hand-over to the live publisher — per message. Here a batch costs those once:
every sender in one SELECT (`customers.services.identities_resolve`), every thread in two
(the answered messages, then the tickets, locked), then one INSERT each for the new tickets,
their follow-up links, the messages and the attachments, one UPDATE for the tickets that got a
message, one pipelined search mark and one publish of every event.

The outcome is the one-by-one outcome. The batch is cut into *rounds* so that no two messages
of a round touch the same ticket, the same conversation, or a message of the same round: a
reply to a mail of the same batch, or a second mail on one ticket, waits for the next round,
which sees the first one stored (and the ticket as its signal receivers left it). Within a
round every write is independent, so the order of the inserts cannot change what anyone sees;
`ticket_changed` is then sent once per message, in the batch's order, after the round's rows
exist — every receiver (SLA, automations, followers, feedback …) sees every event, with the
same ticket, message and changes as the single path gives it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import router
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Identity
from customers.privacy import redact_pii
from customers.services import identities_resolve, normalize_handle
from helpdesk.html import sanitize_html

from . import realtime, receive
from .changes import changes, tracked
from .inbound import IncomingMessage
from .models import Attachment, AuthorKind, LinkKind, Message, Status, Ticket, TicketLink
from .search_queue import tickets_search_refresh_later
from .signals import TicketChange, TicketEvent, send_many


@dataclass
class _Filing:
    """One message on its way in: what it continues and what it becomes."""

    incoming: IncomingMessage
    identity: Identity
    earlier: Ticket | None = None  # the ticket its references/hint/conversation point at
    ticket: Ticket | None = None
    closed_earlier: Ticket | None = None
    created: bool = False
    before: dict = field(default_factory=dict)
    message: Message | None = None


def receive_batch(incomings: Sequence[IncomingMessage]) -> list[Message | None]:
    """See `tickets.receive.receive_batch` (the contract) and the module (how)."""
    results: list[Message | None] = [None] * len(incomings)
    known: dict[tuple[str, str], Message] = {}
    for channel in {m.channel for m in incomings}:
        ids = [m.external_id for m in incomings if m.channel == channel and m.external_id]
        found = receive._known(channel, ids)
        known.update(((channel, key), message) for key, message in found.items())
    first_copy: dict[tuple[str, str], int] = {}
    copies: list[tuple[int, int]] = []  # (later copy, first copy) of one message in the batch
    waiting: list[int] = []
    for index, incoming in enumerate(incomings):
        key = (incoming.channel, incoming.external_id[:500])
        if incoming.external_id and key in known:
            results[index] = known[key]
        elif incoming.external_id and key in first_copy:
            copies.append((index, first_copy[key]))
        else:
            if incoming.external_id:
                first_copy[key] = index
            waiting.append(index)
    identities = identities_resolve(
        [(m.identity_kind, m.handle, m.display_name) for m in (incomings[i] for i in waiting)]
    )
    filings: dict[int, _Filing] = {}
    for index in waiting:
        incoming = incomings[index]
        identity = identities[
            (incoming.identity_kind, normalize_handle(incoming.identity_kind, incoming.handle))
        ]
        if not identity.customer.is_blocked:  # blocked: None, as receive_message returns
            filings[index] = _Filing(incoming, identity)
    order = sorted(filings)
    while order:
        _find_earlier([filings[i] for i in order])
        round_, order = _next_round(order, filings)
        _file_round([filings[i] for i in round_])
    for index, filing in filings.items():
        results[index] = filing.message
    for later, first in copies:
        results[later] = results[first]
    return results


def _find_earlier(filings: list[_Filing]) -> None:
    """`receive._earlier_ticket` for every filing: the answered messages in one SELECT, the
    tickets (answered or hinted, same customer only) locked in one more."""
    references = {ref for f in filings for ref in f.incoming.replies_to}
    newest: dict[str, tuple] = {}
    if references:
        rows = Message.objects.filter(external_id__in=references).values_list(
            "external_id", "created_at", "ticket_id"
        )
        for external_id, created_at, ticket_id in rows:
            if external_id not in newest or newest[external_id][0] < created_at:
                newest[external_id] = (created_at, ticket_id)
    answered: dict[int, int] = {}  # filing position → ticket id of its newest answered message
    for position, filing in enumerate(filings):
        hits = [newest[ref] for ref in filing.incoming.replies_to if ref in newest]
        if hits:
            answered[position] = max(hits, key=lambda hit: hit[0])[1]
    hinted = {f.incoming.ticket_hint for f in filings if f.incoming.ticket_hint}
    wanted = set(answered.values()) | hinted
    locked = (
        {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
        if wanted
        else {}
    )
    for position, filing in enumerate(filings):
        incoming, earlier = filing.incoming, None
        if position in answered:
            earlier = locked.get(answered[position])
        if earlier is None and incoming.ticket_hint:
            hint = locked.get(incoming.ticket_hint)
            if hint is not None and hint.customer_id == filing.identity.customer_id:
                earlier = hint
        if earlier is None and incoming.channel in receive.CONVERSATIONAL_CHANNELS:
            earlier = receive._earlier_ticket(incoming, filing.identity.customer_id)
        hops = 0
        while earlier is not None and earlier.merged_into_id and hops < receive.MAX_MERGE_HOPS:
            earlier = Ticket.objects.select_for_update().get(pk=earlier.merged_into_id)
            hops += 1
        filing.earlier = earlier


def _next_round(order: list[int], filings: dict[int, _Filing]) -> tuple[list[int], list[int]]:
    """The longest run from the front whose messages are independent of each other."""
    tickets: set[int] = set()
    conversations: set[tuple[int, str]] = set()
    external_ids: set[str] = set()
    for taken, index in enumerate(order):
        filing = filings[index]
        incoming = filing.incoming
        conversation = (filing.identity.customer_id, incoming.channel)
        depends = (
            (filing.earlier is not None and filing.earlier.pk in tickets)
            or not external_ids.isdisjoint(incoming.replies_to)
            or (
                incoming.channel in receive.CONVERSATIONAL_CHANNELS
                and conversation in conversations
            )
        )
        if depends:
            return order[:taken], order[taken:]
        if filing.earlier is not None:
            tickets.add(filing.earlier.pk)
        conversations.add(conversation)
        if incoming.external_id:
            external_ids.add(incoming.external_id[:500])
    return order, []


def _file_round(filings: list[_Filing]) -> None:
    now = timezone.now()
    new_tickets, links, reopened = [], [], []
    for filing in filings:
        earlier, incoming = filing.earlier, filing.incoming
        if earlier is not None and (
            earlier.status != Status.CLOSED or receive._reopenable(earlier)
        ):
            ticket = filing.ticket = earlier
            filing.before = tracked(ticket)
            if ticket.status not in (Status.NEW, Status.OPEN):
                ticket.status = Status.OPEN  # the customer wrote again: it needs us
                ticket.solved_at = None
                ticket.closed_at = None
            ticket.last_message_at = now
            ticket.customer_activity_at = now
            ticket.updated_at = now
            reopened.append(ticket)
            continue
        filing.created = True
        filing.closed_earlier = earlier
        filing.ticket = Ticket(
            subject=redact_pii(incoming.subject or receive._first_line(incoming.body_text))[:300]
            or _("(no subject)"),
            channel=incoming.channel,
            customer=filing.identity.customer,
            identity=filing.identity,
            status=Status.NEW,
            # The team that had the conversation before is the one that knows it.
            team_id=earlier.team_id if earlier else None,
            last_message_at=now,
            customer_activity_at=now,
        )
        new_tickets.append(filing.ticket)
    _insert_tickets(new_tickets)
    for filing in filings:
        if filing.closed_earlier is not None:
            links.append(
                TicketLink(
                    ticket=filing.ticket, origin=filing.closed_earlier, kind=LinkKind.FOLLOW_UP
                )
            )
    TicketLink.objects.bulk_create(links)
    if reopened:
        Ticket.objects.bulk_update(
            reopened,
            [
                "status",
                "solved_at",
                "closed_at",
                "last_message_at",
                "customer_activity_at",
                "updated_at",
            ],
        )
    for filing in filings:
        incoming = filing.incoming
        filing.message = Message(
            ticket=filing.ticket,
            author_kind=AuthorKind.CUSTOMER,
            identity=filing.identity,
            channel=incoming.channel,
            # Card numbers, My Number and passwords never reach the database or the index.
            body_text=redact_pii(incoming.body_text),
            body_html=redact_pii(sanitize_html(incoming.body_html)) if incoming.body_html else "",
            external_id=incoming.external_id[:500],
        )
    Message.objects.bulk_create([f.message for f in filings])
    _store_attachments(filings)
    tickets_search_refresh_later([f.ticket.pk for f in filings])
    # One list: receivers that work set-wise (SLA) take the round at once, the others each
    # event in order as a single `ticket_changed` (tickets.signals.send_many).
    send_many(
        [
            TicketChange(
                ticket=filing.ticket,
                event=TicketEvent.CREATED if filing.created else TicketEvent.CUSTOMER_MESSAGE,
                message=filing.message,
                changes=changes(filing.before, filing.ticket) if filing.before else {},
            )
            for filing in filings
        ],
        sender=Ticket,
    )
    realtime.publish_many(
        [
            (
                "ticket.created" if f.created else "message.created",
                {
                    "ticket": f.ticket.pk,
                    "message": f.message.pk,
                    "status": f.ticket.status,
                    "channel": f.ticket.channel,
                },
            )
            for f in filings
        ]
    )


def _insert_tickets(tickets: list[Ticket]) -> None:
    """`bulk_create` without the search vector (NULL until the batched refresh fills it):
    a SearchVectorField keeps Django from inserting set-wise through UNNEST, and the
    multi-row VALUES it falls back to (21 parameters a ticket) made a SQL text too long for
    psycopg to cache, parsed again for every batch — most of the batch's ticket cost."""
    if not tickets:
        return
    meta = Ticket._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key and f.name != "search_vector"]
    using = router.db_for_write(Ticket)
    rows = Ticket.objects._insert(tickets, fields=fields, returning_fields=[meta.pk], using=using)
    for ticket, (pk,) in zip(tickets, rows, strict=True):
        ticket.pk = pk
        ticket._state.adding = False
        ticket._state.db = using


def _store_attachments(filings: list[_Filing]) -> None:
    """Each file written once, from the bytes the parser decoded; every row in one INSERT."""
    rows = []
    for filing in filings:
        for item in filing.incoming.attachments:
            attachment = Attachment(
                message=filing.message,
                token=secrets.token_hex(16),
                filename=(item.filename or "attachment")[:255],
                content_type=(item.content_type or "application/octet-stream")[:200],
                size=len(item.content),
            )
            attachment.file.save(attachment.token, ContentFile(item.content), save=False)
            rows.append(attachment)
    Attachment.objects.bulk_create(rows)
