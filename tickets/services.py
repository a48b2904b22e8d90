"""Every write to tickets. Views, tasks, consumers and adapters call these and nothing else."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.privacy import redact_pii
from customers.services import identity_resolve
from helpdesk.html import sanitize_html
from helpdesk.models import User

from . import outbound, realtime
from .inbound import IncomingAttachment, IncomingMessage
from .macros import apply_macro_actions
from .models import (
    Attachment,
    AuthorKind,
    LinkKind,
    Macro,
    Message,
    Priority,
    Status,
    Tag,
    Team,
    Ticket,
    TicketLink,
    TicketSeen,
)
from .notifications import notify_mentions
from .search_index import ticket_search_refresh
from .search_queue import ticket_search_refresh_later
from .signals import TicketEvent, ticket_changed

# Channels where a conversation is one continuous thread per customer (no subject, no
# references): a new message belongs to the customer's open ticket on that channel.
CONVERSATIONAL_CHANNELS = frozenset(
    {"chat", "line", "messenger", "instagram", "whatsapp", "telegram", "sms", "x"}
)


def receive_message(incoming: IncomingMessage, *, index_later: bool = False) -> Message | None:
    """Store one inbound message: resolve the customer, thread it, notify open inboxes.

    Idempotent: the same (channel, external_id) a second time returns the first Message.
    Returns None for a blocked customer: nothing opens or notifies; the raw inbound event the
    channel stored first is the record, and replaying it after an unblock files it normally.
    `index_later`: the search vector is refreshed by a batched task a moment after commit
    (tickets.search_queue) instead of inside this transaction — the channels' bulk path.
    """
    if incoming.external_id:
        existing = Message.objects.filter(
            channel=incoming.channel, external_id=incoming.external_id
        ).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            return _store_incoming(incoming, index_later=index_later)
    except IntegrityError:
        # A concurrent delivery of the same message won the race on the unique constraint.
        existing = Message.objects.filter(
            channel=incoming.channel, external_id=incoming.external_id
        ).first()
        if existing is None:
            raise
        return existing


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
    before = {} if created else _tracked(ticket)
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
        body_html=redact_pii(sanitize_html(incoming.body_html)),
        external_id=incoming.external_id[:500],
    )
    _store_attachments(message, incoming.attachments)
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
        changes=_changes(before, ticket) if before else {},
    )
    realtime.publish(
        "ticket.created" if created else "message.created",
        ticket=ticket.pk,
        message=message.pk,
        status=ticket.status,
        channel=ticket.channel,
    )
    return message


MAX_MERGE_HOPS = 10


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
        earlier = (
            Message.objects.filter(external_id__in=incoming.replies_to)
            .order_by("-created_at")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if earlier:
            return tickets.get(pk=earlier)
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


def _store_attachments(message: Message, attachments: Iterable[IncomingAttachment]) -> None:
    for item in attachments:
        attachment = Attachment(
            message=message,
            token=secrets.token_hex(16),
            filename=(item.filename or "attachment")[:255],
            content_type=(item.content_type or "application/octet-stream")[:200],
            size=len(item.content),
        )
        attachment.file.save(attachment.token, ContentFile(item.content), save=False)
        attachment.save()


def reply(
    *,
    ticket: Ticket,
    author: User,
    body_text: str,
    internal: bool = False,
    status: str | None = None,
    attachments: Sequence[IncomingAttachment] = (),
    macros: Sequence[Macro] = (),
) -> Message:
    """An agent's public reply (sent through the ticket's channel) or internal note.

    `macros` are the macros the agent applied while writing: recorded on the message and their
    ticket changes applied (the status the agent picked, if any, wins over a macro's).
    """
    body_text = body_text.strip()
    if not body_text and not attachments:
        raise ValidationError(_("Write a message before sending."))
    if not author.is_staff_member:
        raise PermissionDenied
    if not internal and not author.can_reply_publicly:
        raise PermissionDenied(_("Light agents can add internal notes only."))
    if not internal and not outbound.can_send(ticket.channel):
        raise ValidationError(_("Replies on this channel cannot be sent yet."))
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = Message.objects.create(
            ticket=ticket,
            author_kind=AuthorKind.AGENT,
            author=author,
            internal=internal,
            channel=ticket.channel,
            body_text=body_text,
            external_id="" if internal else _outbound_message_id(),
        )
        _store_attachments(message, attachments)
        if macros:
            message.macros.set(macros)
        if internal:
            notify_mentions(message=message)
        now = timezone.now()
        if not internal:
            ticket.first_replied_at = ticket.first_replied_at or now
            ticket.last_message_at = now
            outbound.send(message)
        if ticket.assignee_id is None and not internal:
            ticket.assignee = author  # whoever answers first owns it, as agents expect
        before = _tracked(ticket)
        _apply_status(ticket, status or (Status.PENDING if not internal else None))
        ticket.save()
        ticket_search_refresh(ticket)  # notes too: agents search their colleagues' notes
        ticket_changed.send(
            sender=Ticket,
            ticket=ticket,
            event=TicketEvent.INTERNAL_NOTE if internal else TicketEvent.AGENT_REPLY,
            actor=author,
            message=message,
            changes=_changes(before, ticket),
        )
        realtime.publish(
            "message.created",
            ticket=ticket.pk,
            message=message.pk,
            status=ticket.status,
            channel=ticket.channel,
        )
        if macros:
            ticket = apply_macro_actions(
                ticket=ticket,
                macros=[macro for macro in macros if not (status and macro.set_status)],
                actor=author,
            )
    return message


def mark_ticket_seen(*, ticket: Ticket, user: User) -> None:
    """The agent opened the ticket: its customer activity so far is no longer unread."""
    TicketSeen.objects.bulk_create(
        [TicketSeen(ticket=ticket, user=user, seen_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "ticket"],
        update_fields=["seen_at"],
    )


def _outbound_message_id() -> str:
    domain = settings.SUPPORT_EMAIL.rpartition("@")[2] or "madoguchi.localhost"
    return f"<{secrets.token_hex(12)}@{domain}>"


def _apply_status(ticket: Ticket, status: str | None) -> None:
    if status is None or status == ticket.status:
        if ticket.status == Status.NEW and status is None:
            ticket.status = Status.OPEN
        return
    if status not in Status.values:
        raise ValidationError(_("Unknown status."))
    ticket.status = status
    ticket.solved_at = timezone.now() if status == Status.SOLVED else None
    ticket.closed_at = timezone.now() if status == Status.CLOSED else None


class StaleTicketError(ValidationError):
    """The change was based on an older copy of the ticket and would overwrite someone else's
    change: nothing was written. `changed` maps each field to its value now (for display)."""

    def __init__(self, message: str, *, changed: dict[str, str]):
        super().__init__(message, code="stale")
        self.changed = changed


def update_ticket(
    *,
    ticket: Ticket,
    actor: User,
    status: str | None = None,
    priority: str | None = None,
    assignee: User | None | bool = False,
    team: Team | None | bool = False,
    tags: Sequence[str] | None = None,
    based_on: dict[str, object] | None = None,
    expected_updated_at: datetime | None = None,
) -> Ticket:
    """Change the ticket's properties; `False` for assignee/team means "leave as is".

    Stale copies never silently overwrite (raises StaleTicketError, writes nothing):
    - `based_on` = the property values the caller's form showed ({"status", "priority",
      "assignee" id, "team" id, "tags" sorted names}). A field the caller left as shown is not
      written (so a colleague's change to it survives); a field the caller changed that a
      colleague also changed meanwhile, to something else, is a conflict.
    - `expected_updated_at` = the `updated_at` the caller read (the API): any change since is a
      conflict, as for HTTP If-Unmodified-Since.
    """
    if not actor.is_staff_member:
        raise PermissionDenied
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if expected_updated_at is not None and ticket.updated_at != expected_updated_at:
            raise StaleTicketError(
                _(
                    "This ticket was changed after you loaded it (last change %(when)s). "
                    "Nothing was saved: load it again and repeat your change."
                )
                % {"when": timezone.localtime(ticket.updated_at).strftime("%Y-%m-%d %H:%M:%S")},
                changed=_shown_values(ticket, _current_values(ticket)),
            )
        if based_on is not None:
            wanted = {
                "status": status,
                "priority": priority,
                "assignee": assignee if assignee is False else getattr(assignee, "pk", None),
                "team": team if team is False else getattr(team, "pk", None),
                "tags": None if tags is None else _tag_key(tags),
            }
            keep = _three_way(ticket, based_on, wanted)
            status = status if "status" in keep else None
            priority = priority if "priority" in keep else None
            assignee = assignee if "assignee" in keep else False
            team = team if "team" in keep else False
            tags = tags if "tags" in keep else None
        before = _tracked(ticket)
        if status is not None:
            _apply_status(ticket, status)
        if priority is not None:
            if priority not in Priority.values:
                raise ValidationError(_("Unknown priority."))
            ticket.priority = priority
        if assignee is not False:
            if assignee is not None and not assignee.is_staff_member:
                raise ValidationError(_("Tickets can only be assigned to staff."))
            ticket.assignee = assignee
        if team is not False:
            ticket.team = team
        ticket.save()
        changes = _changes(before, ticket)
        if tags is not None:
            old_tags = sorted(ticket.tags.values_list("name", flat=True))
            ticket.tags.set(_tags_named(tags))
            new_tags = sorted(ticket.tags.values_list("name", flat=True))
            if new_tags != old_tags:
                changes["tags"] = (old_tags, new_tags)
            ticket_search_refresh(ticket)  # the other properties are filters, not text
        if changes:
            ticket_changed.send(
                sender=Ticket,
                ticket=ticket,
                event=TicketEvent.UPDATED,
                actor=actor,
                message=None,
                changes=changes,
            )
        realtime.publish("ticket.updated", ticket=ticket.pk, status=ticket.status)
    return ticket


_TRACKED_FIELDS = ("status", "priority", "assignee_id", "team_id")


def _tag_key(names: Sequence[str]) -> list[str]:
    return sorted({name.strip().lower()[:60] for name in names if name.strip()})


def _current_values(ticket: Ticket) -> dict[str, object]:
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee_id,
        "team": ticket.team_id,
        "tags": sorted(ticket.tags.values_list("name", flat=True)),
    }


def _three_way(ticket: Ticket, base: dict[str, object], wanted: dict[str, object]) -> set[str]:
    """The fields to write: those the caller changed from what they saw. Raises when one of
    them was also changed by someone else, to a different value, since the caller looked."""
    current = _current_values(ticket)
    keep: set[str] = set()
    conflicts: dict[str, object] = {}
    for field, value in wanted.items():
        if value is False or (value is None and field in ("status", "priority", "tags")):
            continue  # not part of this change
        if field not in base:
            keep.add(field)  # the caller did not say what it saw: nothing to compare
            continue
        if value == base[field]:
            continue  # left as the caller saw it: a colleague's newer value stays
        keep.add(field)
        if current[field] != base[field] and current[field] != value:
            conflicts[field] = current[field]
    if conflicts:
        shown = _shown_values(ticket, conflicts)
        raise StaleTicketError(
            _(
                "Someone changed this ticket while you were editing it. Now: %(changes)s. "
                "Nothing was saved: check the new values and save again."
            )
            % {"changes": "; ".join(f"{label} {value}" for label, value in shown.items())},
            changed=shown,
        )
    return keep


def _shown_values(ticket: Ticket, values: dict[str, object]) -> dict[str, str]:
    """{translated field label: value as an agent reads it}."""
    labels = {
        "status": _("status"),
        "priority": _("priority"),
        "assignee": _("assignee"),
        "team": _("team"),
        "tags": _("tags"),
    }
    shown: dict[str, str] = {}
    for field, value in values.items():
        if field == "status":
            text = str(Status(value).label) if value in Status.values else str(value)
        elif field == "priority":
            text = str(Priority(value).label) if value in Priority.values else str(value)
        elif field == "assignee":
            user = User.objects.filter(pk=value).first() if value else None
            text = user.display_name if user else _("unassigned")
        elif field == "team":
            found = Team.objects.filter(pk=value).first() if value else None
            text = found.name if found else _("no team")
        else:
            text = ", ".join(value) if value else _("no tags")  # type: ignore[arg-type]
        shown[str(labels[field])] = text
    return shown


def _tracked(ticket: Ticket) -> dict[str, object]:
    return {field: getattr(ticket, field) for field in _TRACKED_FIELDS}


def _changes(before: dict[str, object], ticket: Ticket) -> dict[str, tuple[object, object]]:
    """{field: (old, new)} of the tracked fields that differ now: what ticket_changed carries."""
    return {
        field: (old, getattr(ticket, field))
        for field, old in before.items()
        if getattr(ticket, field) != old
    }


def _tags_named(names: Sequence[str]) -> list[Tag]:
    cleaned = sorted({name.strip().lower()[:60] for name in names if name.strip()})
    return [Tag.objects.get_or_create(name=name)[0] for name in cleaned]


def post_system_message(*, ticket: Ticket, body_text: str, body_html: str = "") -> Message:
    """A public message from the helpdesk itself (CSAT survey, follow-up, "you said, we did"),
    sent through the ticket's channel like a reply.

    It changes neither status nor assignee and sends no `ticket_changed`: it is not an agent's
    answer, so SLA clocks and automations must not take it for one.
    """
    body_text = body_text.strip()
    if not body_text:
        raise ValidationError(_("Write a message before sending."))
    if not outbound.can_send(ticket.channel):
        raise ValidationError(_("Replies on this channel cannot be sent yet."))
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = Message.objects.create(
            ticket=ticket,
            author_kind=AuthorKind.SYSTEM,
            channel=ticket.channel,
            body_text=body_text,
            body_html=sanitize_html(body_html),
            external_id=_outbound_message_id(),
        )
        outbound.send(message)
        realtime.publish(
            "message.created",
            ticket=ticket.pk,
            message=message.pk,
            status=ticket.status,
            channel=ticket.channel,
        )
    return message
