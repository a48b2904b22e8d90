"""Writes on many tickets at once: bulk property changes from the inbox, merging and splitting
tickets, and marking spam (optionally blocking the senders).

Bulk changes go through `services.update_ticket` one ticket at a time, so every ticket sends its
own `ticket_changed` (SLA clocks, surveys and automations see each change as if made by hand).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.audit import customer_access_record
from customers.models import AccessAction
from customers.privacy import can_block
from customers.services import customer_block
from helpdesk.models import User

from . import realtime, services
from .access import can_see, visible_tickets
from .models import AuthorKind, LinkKind, Message, Status, Team, Ticket, TicketLink, TicketMerge
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
        tickets = list(
            visible_tickets(actor).filter(pk__in=ids).prefetch_related("tags").order_by("pk")
        )
        if len(tickets) != len(ids):  # gone, or another team's: the same answer for both
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
    if not (can_see(actor, source) and can_see(actor, target)):
        raise ValidationError(_("There is no ticket with that number."))
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
        target_before = {
            "status": target.status,
            "tags": sorted(target.tags.values_list("name", flat=True)),
        }
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
        source.closed_at = now
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
        # The target may have been reopened and may carry new tags: SLA clocks, rollups and
        # automations follow that like any other change.
        target_after = {
            "status": target.status,
            "tags": sorted(target.tags.values_list("name", flat=True)),
        }
        target_changes = {
            field: (target_before[field], target_after[field])
            for field in target_before
            if target_before[field] != target_after[field]
        }
        if target_changes:
            ticket_changed.send(
                sender=Ticket,
                ticket=target,
                event=TicketEvent.UPDATED,
                actor=actor,
                message=None,
                changes=target_changes,
            )
        for ticket in (source, target):
            realtime.publish("ticket.updated", ticket=ticket.pk, status=ticket.status)
    return record


MAX_SPLIT = 500
SPAM_TAG = "spam"


def split_ticket(
    *, ticket: Ticket, message_ids: Sequence[int], actor: User, subject: str = ""
) -> Ticket:
    """Move the chosen messages of `ticket` into a new ticket of the same customer.

    The new ticket keeps channel, identity, team, assignee, priority and tags, is linked to the
    original (TicketLink kind "split"), and both get a system note saying what moved where. At
    least one customer or agent message stays behind: moving all of them is a rename, not a
    split. Nothing is sent to the customer.
    """
    if not actor.is_staff_member or not actor.can_reply_publicly:
        raise PermissionDenied(_("Light agents cannot split tickets."))
    if not can_see(actor, ticket):
        raise ValidationError(_("There is no ticket with that number."))
    ids = sorted(set(message_ids))
    if not ids:
        raise ValidationError(_("Select the messages to move to the new ticket."))
    if len(ids) > MAX_SPLIT:
        raise ValidationError(_("Move at most %(n)s messages at once.") % {"n": MAX_SPLIT})
    with transaction.atomic():
        source = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if source.merged_into_id:
            raise ValidationError(
                _("Ticket #%(id)s was merged into another ticket; split that one instead.")
                % {"id": source.pk}
            )
        conversation = Message.objects.filter(ticket=source).exclude(author_kind=AuthorKind.SYSTEM)
        chosen = list(conversation.filter(pk__in=ids).order_by("created_at", "id"))
        if len(chosen) != len(ids):
            raise ValidationError(_("Some of those messages are not part of this ticket."))
        if conversation.count() <= len(chosen):
            raise ValidationError(_("Leave at least one message on the original ticket."))
        subject = " ".join(subject.split())[:300] or source.subject
        customer_times = [m.created_at for m in chosen if m.author_kind == AuthorKind.CUSTOMER]
        new = Ticket.objects.create(
            subject=subject,
            channel=source.channel,
            customer_id=source.customer_id,
            identity_id=next((m.identity_id for m in chosen if m.identity_id), None)
            or source.identity_id,
            status=Status.OPEN,
            priority=source.priority,
            team_id=source.team_id,
            assignee_id=source.assignee_id,
            last_message_at=max(m.created_at for m in chosen),
            customer_activity_at=max(customer_times) if customer_times else None,
        )
        Message.objects.filter(pk__in=ids).update(ticket=new)
        new.tags.set(source.tags.all())
        TicketLink.objects.create(
            ticket=new, origin=source, kind=LinkKind.SPLIT, actor=actor, moved_messages=len(ids)
        )
        values = {"n": len(ids), "source": source.pk, "target": new.pk, "agent": actor.display_name}
        _system_note(
            new,
            _("Split from ticket #%(source)s by %(agent)s (messages moved here: %(n)s).") % values,
        )
        _system_note(
            source,
            _("Split off into ticket #%(target)s by %(agent)s (messages moved: %(n)s).") % values,
        )
        source.save()  # its activity changed: lists re-sort, stale forms notice
        tickets_search_refresh([source.pk, new.pk])
        for moved in chosen:
            moved.ticket = new
        # Like every ticket write: SLA clocks, automations and surveys follow a split. The new
        # ticket is "created" by the agent (actor set), so automations neither re-route it nor
        # auto-reply to the customer, who wrote nothing new.
        opening = next((m for m in chosen if m.author_kind == AuthorKind.CUSTOMER), chosen[0])
        ticket_changed.send(
            sender=Ticket,
            ticket=new,
            event=TicketEvent.CREATED,
            actor=actor,
            message=opening,
            changes={},
        )
        ticket_changed.send(
            sender=Ticket,
            ticket=source,
            event=TicketEvent.UPDATED,
            actor=actor,
            message=None,
            changes={},
        )
        realtime.publish("ticket.created", ticket=new.pk, status=new.status, channel=new.channel)
        realtime.publish("ticket.updated", ticket=source.pk, status=source.status)
    return new


def mark_spam(*, ticket_ids: Sequence[int], actor: User, block_senders: bool = False) -> int:
    """Tag the tickets `spam` and close them; with `block_senders`, also block their customers
    (managers and admins only, audit-logged) so their next messages open no tickets."""
    if not actor.is_staff_member or not actor.can_reply_publicly:
        raise PermissionDenied(_("Light agents cannot mark tickets as spam."))
    if block_senders and not can_block(actor):
        raise PermissionDenied(_("Only managers and admins can block senders."))
    ids = sorted(set(ticket_ids))
    if not ids:
        raise ValidationError(_("Select at least one ticket."))
    if len(ids) > MAX_BULK:
        raise ValidationError(_("Change at most %(n)s tickets at once.") % {"n": MAX_BULK})
    with transaction.atomic():
        tickets = list(
            visible_tickets(actor)
            .filter(pk__in=ids)
            .select_related("customer")
            .prefetch_related("tags")
            .order_by("pk")
        )
        if len(tickets) != len(ids):
            raise ValidationError(_("Some of those tickets no longer exist."))
        for ticket in tickets:
            names = sorted({tag.name for tag in ticket.tags.all()} | {SPAM_TAG})
            services.update_ticket(ticket=ticket, actor=actor, status=Status.CLOSED, tags=names)
        if block_senders:
            customers = {ticket.customer_id: ticket.customer for ticket in tickets}
            for customer in customers.values():
                if customer.is_blocked:
                    continue
                reason = _("Spam (ticket #%(id)s)") % {
                    "id": next(t.pk for t in tickets if t.customer_id == customer.pk)
                }
                customer_block(customer=customer, reason=reason, actor=actor)
                customer_access_record(
                    actor=actor,
                    action=AccessAction.BLOCK,
                    customer_id=customer.pk,
                    detail={"reason": reason},
                )
    return len(tickets)


def _system_note(ticket: Ticket, text: str) -> Message:
    return Message.objects.create(
        ticket=ticket,
        author_kind=AuthorKind.SYSTEM,
        internal=True,
        channel=ticket.channel,
        body_text=text,
    )
