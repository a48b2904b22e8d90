"""Reads for the agent's pages and the API, each with a bounded number of queries.

The inbox's own reads (views, pages, counts) live in tickets.inbox and are re-exported here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.shortcuts import get_object_or_404

from customers.models import Identity
from helpdesk.models import User
from helpdesk.search import query_terms, rank

from .access import can_see_id, visible_related, visible_tickets
from .inbox import (  # noqa: F401 - the inbox's reads, as callers have always found them here
    DEFAULT_VIEW,
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
    Tag,
    Team,
    Ticket,
    TicketLink,
)
from .search_query import TicketQuery, parse_ticket_query


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


# Ranked results: past the best fifty an agent refines the query rather than scrolls, and half
# the rows halves the page's rendering, which is most of its time.
SEARCH_LIMIT = 50
SEARCH_CANDIDATES = 1000


def search_tickets(
    *,
    viewer: User,
    query: str | TicketQuery,
    limit: int = SEARCH_LIMIT,
    within: QuerySet[Ticket] | None = None,
) -> list[Ticket]:
    """Tickets matching a search box string, best match first (then latest activity).

    Two queries whatever the size (rows, then their tags). `within` narrows the search to a
    queryset the caller already filtered (the API's other parameters).
    """
    tickets = ticket_search_queryset(viewer=viewer, query=query, within=within)
    if tickets is None:
        return []
    return list(with_row_columns(tickets, viewer)[:limit])


def ticket_search_queryset(
    *, viewer: User, query: str | TicketQuery, within: QuerySet[Ticket] | None = None
) -> QuerySet[Ticket] | None:
    """The ordered matches, or None when the query asks for nothing (never "everything")."""
    if not viewer.is_staff_member:
        raise PermissionDenied
    parsed = query if isinstance(query, TicketQuery) else parse_ticket_query(query)
    text_query = query_terms(parsed.text) if parsed.text else None
    if text_query is None and not parsed.has_filters:
        return None  # empty, or only punctuation: matching every ticket would be a lie
    tickets = _operator_filtered(visible_tickets(viewer, within), parsed, viewer)
    if text_query is None:
        return tickets.order_by("-updated_at", "-id")
    # Rank the most recent matches, not all of them: a word like 「返品」 matches a tenth of a
    # million tickets, and ranking each one means reading its whole search vector. An agent
    # looks for a recent conversation; an older one is found by adding a word or an operator.
    candidates = (
        tickets.filter(search_vector=text_query)
        .order_by("-updated_at", "-id")
        .values("pk")[:SEARCH_CANDIDATES]
    )
    return (
        Ticket.objects.filter(pk__in=candidates)
        .annotate(rank=rank(text_query))
        .order_by("-rank", "-updated_at", "-id")
    )


def _operator_filtered(
    tickets: QuerySet[Ticket], query: TicketQuery, viewer: User
) -> QuerySet[Ticket]:
    if query.statuses:
        tickets = tickets.filter(status__in=query.statuses)
    if query.priorities:
        tickets = tickets.filter(priority__in=query.priorities)
    if query.channels:
        tickets = tickets.filter(channel__in=query.channels)
    for name in query.tags:  # each tag must be there: one EXISTS each, no duplicate rows
        tagged = Tag.tickets.through.objects.filter(ticket_id=OuterRef("pk"), tag__name=name)
        tickets = tickets.filter(Exists(tagged))
    if query.teams:
        tickets = tickets.filter(reduce(or_, (Q(team__name__iexact=team) for team in query.teams)))
    if query.assignees:
        tickets = tickets.filter(reduce(or_, (_assignee_is(v, viewer) for v in query.assignees)))
    if query.senders:
        tickets = tickets.filter(reduce(or_, (_sender_is(value) for value in query.senders)))
    return tickets


def _assignee_is(value: str, viewer: User) -> Q:
    if value == "me":
        return Q(assignee=viewer)
    if value == "none":
        return Q(assignee__isnull=True)
    if "@" in value:
        return Q(assignee__email__iexact=value)
    return Q(assignee__email__istartswith=f"{value}@") | Q(assignee__name__iexact=value)


def _sender_is(value: str) -> Q:
    """from: matches part of the customer's email, name, or any of their channel handles."""
    handles = Identity.objects.filter(customer=OuterRef("customer_id")).filter(
        Q(handle__icontains=value) | Q(handle__iexact=value.lstrip("@"))
    )
    return (
        Q(customer__email__icontains=value)
        | Q(customer__name__icontains=value)
        | Q(Exists(handles))
    )
