"""Reads for the agent's pages and the API, each with a bounded number of queries.

The inbox's own reads (views, pages, counts) live in tickets.inbox and are re-exported here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Prefetch,
    Q,
    QuerySet,
)
from django.shortcuts import get_object_or_404

from helpdesk.models import User

from .access import can_see_id, visible_related, visible_tickets
from .inbox import (  # noqa: F401 - the inbox's reads, as callers have always found them here
    DEFAULT_VIEW,
    INBOX_COUNT_CAP,
    INBOX_LIMIT,
    INBOX_VIEWS,
    Inbox,
    InboxPage,
    inbox_counts,
    inbox_for,
    inbox_page,
    inbox_tickets,
    with_row_columns,
)
from .macros import macros_for
from .models import (
    Attachment,
    Macro,
    Message,
    Team,
    Ticket,
    TicketLink,
)
from .search_results import (  # noqa: F401 - the search's reads, as callers found them here
    SEARCH_CANDIDATES,
    SEARCH_LIMIT,
    search_ids,
    search_rows,
    search_tickets,
)


def ticket_for_agent(*, ticket_id: int, viewer: User) -> Ticket:
    """The ticket, or 404 when it does not exist or the viewer may not see it (the same 404:
    an agent cannot probe ids of other teams' tickets)."""
    tickets = Ticket.objects.select_related(
        "customer__organization", "assignee", "team", "identity"
    )
    return get_object_or_404(visible_tickets(viewer, tickets), pk=ticket_id)


def replies_since(*, ticket: Ticket, after_message: int | None, viewer: User) -> list[str]:
    """Names of other agents who replied publicly after the message the viewer last saw."""
    if not after_message:
        return []
    names = (
        Message.objects.filter(
            ticket=ticket, pk__gt=after_message, author_kind="agent", internal=False
        )
        .exclude(author=viewer)
        .select_related("author")
    )
    return list(dict.fromkeys(m.author.display_name if m.author else "?" for m in names))


def macros_by_id(*, ids: list[int], viewer: User) -> list[Macro]:
    """The macros the composer says were applied, among those the viewer may use."""
    if not ids:
        return []
    found = {macro.pk: macro for macro in macros_for(viewer).filter(pk__in=ids)}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def ticket_or_none(*, ticket_id: int, viewer: User) -> Ticket | None:
    return (
        visible_tickets(viewer, Ticket.objects.select_related("customer"))
        .filter(pk=ticket_id)
        .first()
    )


def ticket_visible(*, ticket_id: int, viewer: User) -> bool:
    """Whether this agent may see the ticket (the socket asks before relaying presence)."""
    return can_see_id(viewer, ticket_id)


def ticket_timeline(*, ticket: Ticket) -> QuerySet[Message]:
    return (
        ticket.messages.select_related("author", "identity", "delivery")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


@dataclass
class LinkedTicket:
    """A ticket linked to the one on screen, described from that ticket's side."""

    kind: str  # "follow_up" | "split"
    direction: str  # "origin": the shown ticket came out of `ticket`; "offspring": the reverse
    ticket: Ticket


def ticket_links(*, ticket: Ticket, viewer: User) -> list[LinkedTicket]:
    """Follow-ups and splits in both directions, among tickets the viewer may see: one query."""
    links = TicketLink.objects.filter(Q(ticket=ticket) | Q(origin=ticket))
    links = visible_related(viewer, visible_related(viewer, links, "ticket"), "origin")
    links = links.select_related("ticket", "origin").order_by("created_at", "id")
    return [
        LinkedTicket(link.kind, "origin", link.origin)
        if link.ticket_id == ticket.pk
        else LinkedTicket(link.kind, "offspring", link.ticket)
        for link in links
    ]


def customer_other_tickets(
    *, ticket: Ticket, viewer: User | None = None, limit: int = 10
) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all() if viewer is None else visible_tickets(viewer)
    return (
        tickets.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .order_by("-updated_at")[:limit]
    )


def assignable_agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=["admin", "manager", "agent"]).order_by(
        "name", "email"
    )


def teams() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def attachment_for_agent(*, attachment_id: int, viewer: User) -> Attachment:
    attachments = Attachment.objects.select_related("message")
    return get_object_or_404(
        visible_related(viewer, attachments, "message__ticket"), pk=attachment_id
    )


def tickets_for_api(
    *,
    viewer: User,
    status: str | None = None,
    channel: str | None = None,
    assignee: int | str | None = None,
    customer_id: int | None = None,
    updated_after: datetime | None = None,
) -> QuerySet[Ticket]:
    """The API's ticket list; `assignee` is a user id, "me" or "none". Two queries a page."""
    # ids only otherwise: no joins needed
    tickets = visible_tickets(viewer, Ticket.objects.prefetch_related("tags"))
    if status:
        tickets = tickets.filter(status=status)
    if channel:
        tickets = tickets.filter(channel=channel)
    if assignee == "me":
        tickets = tickets.filter(assignee=viewer)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee is not None:
        tickets = tickets.filter(assignee_id=assignee)
    if customer_id is not None:
        tickets = tickets.filter(customer_id=customer_id)
    if updated_after is not None:
        tickets = tickets.filter(updated_at__gt=updated_after)
    return tickets
