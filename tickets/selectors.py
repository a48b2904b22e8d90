"""Every read the inbox needs, with a bounded number of queries per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Left
from django.shortcuts import get_object_or_404

from customers.models import Identity
from helpdesk.models import User
from helpdesk.search import query_terms, rank

from . import paging, saved_views
from .access import can_see_id, sees_all, visible_related, visible_tickets
from .macros import macros_for
from .models import (
    Attachment,
    Macro,
    Message,
    SavedView,
    Tag,
    Team,
    Ticket,
    TicketLink,
    TicketSeen,
)
from .search_query import TicketQuery, parse_ticket_query

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# The views themselves live in saved_views; these names stay for older callers.
INBOX_VIEWS = saved_views.BUILT_IN_VIEWS
DEFAULT_VIEW = saved_views.DEFAULT_VIEW
PREVIEW_CHARS = 200
INBOX_LIMIT = 50


@dataclass
class Inbox:
    """The views an agent has (built-in and custom) and the one being looked at."""

    views: list[saved_views.InboxView]
    saved: dict[str, SavedView]
    current: str

    @property
    def current_view(self) -> saved_views.InboxView | None:
        return next((view for view in self.views if view.key == self.current), None)

    @property
    def current_saved(self) -> SavedView | None:
        return self.saved.get(self.current)


def inbox_for(*, viewer: User, view: str | None) -> Inbox:
    """Resolve the view key (unknown keys fall back to the default view): one query."""
    saved = {str(item.pk): item for item in saved_views.visible_saved_views(viewer)}
    views = [
        *saved_views.BUILT_IN_VIEWS,
        *(
            saved_views.InboxView(
                key,
                item.name,
                custom=True,
                shared=item.shared,
                editable=item.owner_id == viewer.pk or (item.shared and viewer.can_manage),
            )
            for key, item in saved.items()
        ),
    ]
    key = view if view in saved_views.BUILT_IN_KEYS or view in saved else DEFAULT_VIEW
    return Inbox(views=views, saved=saved, current=key)


@dataclass
class InboxPage:
    tickets: list[Ticket]
    next_cursor: str  # "" on the last page


def inbox_page(
    *,
    viewer: User,
    inbox: Inbox,
    after: str = "",
    limit: int = INBOX_LIMIT,
) -> InboxPage:
    """One page of the view in its order, after the cursor of the previous page's last row:
    two queries whatever the page (keyset, tickets.paging). InvalidCursor for a bad cursor."""
    key = inbox.current
    sort = inbox.saved[key].sort if key in inbox.saved else ""
    keys = paging.sort_keys(sort)
    tickets = visible_tickets(viewer).filter(saved_views.view_filter(key, viewer, inbox.saved))
    tickets = saved_views.ordered(with_row_columns(tickets, viewer), sort)
    if after:
        tickets = tickets.filter(paging.after(keys, paging.parse_cursor(after, keys)))
    rows = list(tickets[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(rows, paging.cursor_for(rows[-1], keys) if more else "")


def inbox_tickets(
    *, viewer: User, view: str = DEFAULT_VIEW, limit: int = INBOX_LIMIT, inbox: Inbox | None = None
) -> list[Ticket]:
    """The first page of a view."""
    inbox = inbox or inbox_for(viewer=viewer, view=view)
    return inbox_page(viewer=viewer, inbox=inbox, limit=limit).tickets


def with_row_columns(tickets: QuerySet[Ticket], viewer: User | None = None) -> QuerySet[Ticket]:
    """What an inbox row shows. Count, preview and "unread" are correlated subqueries, not a
    join and GROUP BY, so PostgreSQL works them out for the rows of the page only."""
    public = Message.objects.filter(ticket=OuterRef("pk"), internal=False)
    count = public.order_by().values("ticket").annotate(n=Count("pk")).values("n")
    latest = public.order_by("-created_at", "-id").values("body_text")[:1]
    tickets = (
        tickets.select_related("customer", "assignee", "team")
        .prefetch_related("tags")
        .annotate(
            message_count=Coalesce(Subquery(count), 0),
            preview=Left(Subquery(latest), PREVIEW_CHARS),
        )
    )
    if viewer is not None:
        seen = TicketSeen.objects.filter(ticket=OuterRef("pk"), user=viewer).values("seen_at")[:1]
        tickets = tickets.annotate(
            unread=Case(
                When(customer_activity_at__isnull=True, then=Value(False)),
                When(customer_activity_at__gt=Coalesce(Subquery(seen), Value(EPOCH)), then=True),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    return tickets


_with_row_columns = with_row_columns


# The "All" tab counts every ticket ever received: a million rows to count on every page load
# for a number nobody acts on. It is counted at most once a minute per audience
# (INBOX_ALL_COUNT_SECONDS); the views an
# agent works from (open, mine, unassigned, pending …) are counted exactly on every load.
CACHED_COUNT_VIEWS = frozenset({"all"})


def inbox_counts(*, viewer: User, inbox: Inbox | None = None) -> dict[str, int]:
    """Tickets per view, built-in and custom, in one round trip (two when "All" is due).

    One scalar COUNT subquery per view rather than one pass with a FILTER per view: each
    subquery reads only the index that matches its view (a few thousand open tickets), where
    a single pass would read every ticket ever received."""
    inbox = inbox or inbox_for(viewer=viewer, view=None)
    visible = visible_tickets(viewer).order_by()
    exact = [view for view in inbox.views if view.key not in CACHED_COUNT_VIEWS]
    parts, params = [], []
    for view in exact:
        query = visible.filter(saved_views.view_filter(view.key, viewer, inbox.saved))
        sql, view_params = query.values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS view_rows)")  # noqa: S608 - Django-compiled SQL, bound params
        params.extend(view_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        values = cursor.fetchone()
    counts = {view.key: value for view, value in zip(exact, values, strict=True)}
    audience = "everyone" if sees_all(viewer) else f"user-{viewer.pk}"
    for key in CACHED_COUNT_VIEWS:
        counts[key] = cache.get_or_set(
            f"inbox-count:{key}:{audience}",
            lambda key=key: visible.filter(
                saved_views.view_filter(key, viewer, inbox.saved)
            ).count(),
            settings.INBOX_ALL_COUNT_SECONDS,
        )
    return {view.key: counts[view.key] for view in inbox.views}


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
