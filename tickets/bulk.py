"""Writes on many tickets at once: bulk property changes from the inbox, and merging tickets.

Bulk changes go through `services.update_ticket` one ticket at a time, so every ticket sends its
own `ticket_changed` (SLA clocks, surveys and automations see each change as if made by hand).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import User

from . import realtime, services
from .models import AuthorKind, Message, Status, Team, Ticket, TicketMerge
from .search_index import tickets_search_refresh
from .signals import TicketEvent, ticket_changed

MAX_BULK = 200


def bulk_update_tickets(
    *,
    ticket_ids: Sequence[int],
    actor: User,
    status: str | None = None,
    priority: str | None = None,
    assignee: User | None | bool = False,
    team: Team | None | bool = False,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
) -> int:
    """Apply the same change to each ticket (all or none); returns how many were changed."""
    if not actor.is_staff_member:
        raise PermissionDenied
    ids = sorted(set(ticket_ids))
    if not ids:
        raise ValidationError(_("Select at least one ticket."))
    if len(ids) > MAX_BULK:
        raise ValidationError(_("Change at most %(n)s tickets at once.") % {"n": MAX_BULK})
    add = {t.strip().lower()[:60] for t in add_tags if t.strip()}
    remove = {t.strip().lower()[:60] for t in remove_tags if t.strip()}
    nothing = status is None and priority is None and assignee is False and team is False
    if nothing and not add and not remove:
        raise ValidationError(_("Choose a change to make."))
    with transaction.atomic():
        tickets = list(Ticket.objects.filter(pk__in=ids).prefetch_related("tags").order_by("pk"))
        if len(tickets) != len(ids):
            raise ValidationError(_("Some of those tickets no longer exist."))
        for ticket in tickets:
            tags = None
            if add or remove:
                current = {tag.name for tag in ticket.tags.all()}
                tags = sorted((current | add) - remove)
            services.update_ticket(
                ticket=ticket,
                actor=actor,
                status=status,
                priority=priority,
                assignee=assignee,
                team=team,
                tags=tags,
            )
    return len(tickets)


def merge_tickets(*, source: Ticket, target: Ticket, actor: User) -> TicketMerge:
    """Move every message of `source` into `target`; close `source` with a note linking there.

    The customer's later replies to the old thread still land in `target`: their mail threads
    by Message-ID, and the moved messages keep theirs.
    """
    if not actor.is_staff_member or not actor.can_reply_publicly:
        raise PermissionDenied(_("Light agents cannot merge tickets."))
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        first, second = sorted((source.pk, target.pk))
        locked = Ticket.objects.select_for_update().in_bulk([first, second])
        source, target = locked[source.pk], locked[target.pk]
        if source.merged_into_id:
            raise ValidationError(_("Ticket #%(id)s was already merged.") % {"id": source.pk})
        if target.merged_into_id:
            raise ValidationError(
                _("Ticket #%(id)s was merged into another ticket; merge into that one instead.")
                % {"id": target.pk}
            )
        moved = Message.objects.filter(ticket=source).update(ticket=target)
        target.tags.add(*source.tags.all())
        now = timezone.now()
        _system_note(
            target,
            _("Ticket #%(source)s (%(subject)s) was merged into this ticket by %(agent)s.")
            % {"source": source.pk, "subject": source.subject, "agent": actor.display_name},
        )
        _system_note(
            source,
            _("Merged into ticket #%(target)s by %(agent)s. The conversation continues there.")
            % {"target": target.pk, "agent": actor.display_name},
        )
        before = {"status": source.status}
        source.status = Status.CLOSED
        source.merged_into = target
        source.solved_at = source.solved_at or now
        source.save()
        last = [t for t in (target.last_message_at, source.last_message_at) if t]
        target.last_message_at = max(last) if last else target.last_message_at
        activity = [t for t in (target.customer_activity_at, source.customer_activity_at) if t]
        target.customer_activity_at = max(activity) if activity else None
        if target.status in (Status.SOLVED, Status.CLOSED) and source.is_unsolved:
            target.status = Status.OPEN  # the merged conversation still needs an answer
            target.solved_at = None
        target.save()
        record = TicketMerge.objects.create(
            source=source, target=target, actor=actor, moved_messages=moved
        )
        tickets_search_refresh([source.pk, target.pk])
        ticket_changed.send(
            sender=Ticket,
            ticket=source,
            event=TicketEvent.UPDATED,
            actor=actor,
            message=None,
            changes={"status": (before["status"], source.status)},
        )
        for ticket in (source, target):
            realtime.publish("ticket.updated", ticket=ticket.pk, status=ticket.status)
    return record


def _system_note(ticket: Ticket, text: str) -> Message:
    return Message.objects.create(
        ticket=ticket,
        author_kind=AuthorKind.SYSTEM,
        internal=True,
        channel=ticket.channel,
        body_text=text,
    )
