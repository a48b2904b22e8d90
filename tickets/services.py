"""Every write to tickets. Views, tasks, consumers and adapters call these and nothing else."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.html import sanitize_html
from helpdesk.models import User

from . import outbound, realtime
from .changes import changes as _changes
from .changes import tracked as _tracked
from .inbound import IncomingAttachment
from .macros import apply_macro_actions
from .models import (
    AuthorKind,
    Macro,
    Message,
    Priority,
    Status,
    Tag,
    Team,
    Ticket,
    TicketSeen,
)
from .notifications import notify_mentions

# The receive path lives in its own module; its names stay importable from here.
from .receive import CONVERSATIONAL_CHANNELS as CONVERSATIONAL_CHANNELS
from .receive import receive_batch as receive_batch
from .receive import receive_message as receive_message
from .receive import store_attachments as _store_attachments
from .search_index import ticket_search_refresh
from .signals import TicketEvent, ticket_changed


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
