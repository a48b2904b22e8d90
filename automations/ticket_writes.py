"""How automations change a ticket and fill the placeholders of their texts.

Automations write with no staff actor, but announce the change the way staff writes do, so SLA
clocks, surveys and open inboxes follow it.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tickets import realtime
from tickets.models import Status, Tag, Team, Ticket
from tickets.search_index import ticket_search_refresh
from tickets.signals import TicketEvent, ticket_changed


def write_ticket(
    ticket: Ticket,
    *,
    status: str | None = None,
    priority: str | None = None,
    team: Team | None | bool = False,
    assignee: Any = False,
    add_tags: list[str] | None = None,
) -> dict:
    """Change the ticket as tickets.services.update_ticket would, with no staff actor: the
    change is announced (`ticket_changed` UPDATED, actor None) so SLA clocks, surveys and
    open inboxes follow it. The instance is changed in place for the caller's later use."""
    before = {f: getattr(ticket, f) for f in ("status", "priority", "assignee_id", "team_id")}
    if status and status != ticket.status:
        ticket.status = status
        ticket.solved_at = timezone.now() if status == Status.SOLVED else None
    if priority:
        ticket.priority = priority
    if team is not False:
        ticket.team = team
    if assignee is not False:
        ticket.assignee = assignee
    changes = {
        f: (old, getattr(ticket, f)) for f, old in before.items() if getattr(ticket, f) != old
    }
    if changes:
        ticket.save(
            update_fields=["status", "solved_at", "priority", "team", "assignee", "updated_at"]
        )
    if add_tags:
        old_tags = sorted(ticket.tags.values_list("name", flat=True))
        names = sorted({name.strip().lower()[:60] for name in add_tags if name.strip()})
        ticket.tags.add(*[Tag.objects.get_or_create(name=name)[0] for name in names])
        new_tags = sorted(ticket.tags.values_list("name", flat=True))
        if new_tags != old_tags:
            changes["tags"] = (old_tags, new_tags)
            ticket_search_refresh(ticket)
    if changes:
        ticket_changed.send(
            sender=Ticket,
            ticket=ticket,
            event=TicketEvent.UPDATED,
            actor=None,
            message=None,
            changes=changes,
        )
        realtime.publish("ticket.updated", ticket=ticket.pk, status=ticket.status)
    return changes


def render_text(template: str, ticket: Ticket) -> str:
    customer = ticket.customer
    values = {
        "{{ticket.id}}": str(ticket.pk),
        "{{ticket.subject}}": ticket.subject,
        "{{customer.name}}": customer.name or "",
        "{{ticket.status}}": ticket.get_status_display(),
        "{{ticket.priority}}": ticket.get_priority_display(),
    }
    for key, value in values.items():
        template = template.replace(key, str(value))
    return template
