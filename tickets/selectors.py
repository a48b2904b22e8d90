"""Every read the inbox needs, with a bounded number of queries per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Left
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from customers.models import Identity
from helpdesk.models import User
from helpdesk.search import query_terms, rank

from .models import UNSOLVED_STATUSES, Attachment, Message, Status, Tag, Team, Ticket
from .search_query import TicketQuery, parse_ticket_query


@dataclass(frozen=True)
class InboxView:
    key: str
    label: str


INBOX_VIEWS = (
    InboxView("mine", _("My open")),
    InboxView("unassigned", _("Unassigned")),
    InboxView("open", _("All open")),
    InboxView("pending", _("Pending")),
    InboxView("solved", _("Solved")),
    InboxView("all", _("All")),
)
DEFAULT_VIEW = "open"


def _view_filter(view: str, viewer: User) -> Q:
    unsolved = Q(status__in=UNSOLVED_STATUSES)
    return {
        "mine": unsolved & Q(assignee=viewer),
        "unassigned": unsolved & Q(assignee__isnull=True),
        "open": Q(status__in=(Status.NEW, Status.OPEN)),
        "pending": Q(status__in=(Status.PENDING, Status.ON_HOLD)),
        "solved": Q(status__in=(Status.SOLVED, Status.CLOSED)),
        "all": Q(),
    }.get(view, Q(status__in=(Status.NEW, Status.OPEN)))


PREVIEW_CHARS = 200


def inbox_tickets(*, viewer: User, view: str = DEFAULT_VIEW, limit: int = 100) -> list[Ticket]:
    """One page of the inbox, newest activity first: two queries whatever the size."""
    return list(
        _with_row_columns(Ticket.objects.filter(_view_filter(view, viewer))).order_by(
            "-updated_at", "-id"
        )[:limit]
    )


def _with_row_columns(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What an inbox row shows. Count and preview are correlated subqueries, not a join and
    GROUP BY, so PostgreSQL works them out for the rows of the page only, after the LIMIT."""
    public = Message.objects.filter(ticket=OuterRef("pk"), internal=False)
    count = public.order_by().values("ticket").annotate(n=Count("pk")).values("n")
    latest = public.order_by("-created_at", "-id").values("body_text")[:1]
    return (
        tickets.select_related("customer", "assignee", "team")
        .prefetch_related("tags")
        .annotate(
            message_count=Coalesce(Subquery(count), 0),
            preview=Left(Subquery(latest), PREVIEW_CHARS),
        )
    )


def inbox_counts(*, viewer: User) -> dict[str, int]:
    aggregates = {
        view.key: Count("pk", filter=_view_filter(view.key, viewer)) for view in INBOX_VIEWS
    }
    return Ticket.objects.aggregate(**aggregates)


def ticket_for_agent(*, ticket_id: int, viewer: User) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("customer__organization", "assignee", "team", "identity"),
        pk=ticket_id,
    )


def ticket_timeline(*, ticket: Ticket) -> QuerySet[Message]:
    return (
        ticket.messages.select_related("author", "identity", "delivery")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def customer_other_tickets(*, ticket: Ticket, limit: int = 10) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(customer_id=ticket.customer_id)
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
    return get_object_or_404(Attachment.objects.select_related("message"), pk=attachment_id)


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
    tickets = Ticket.objects.prefetch_related("tags")  # ids only otherwise: no joins needed
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
    return list(_with_row_columns(tickets)[:limit])


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
    tickets = _operator_filtered(
        within if within is not None else Ticket.objects.all(), parsed, viewer
    )
    if text_query is None:
        return tickets.order_by("-updated_at", "-id")
    return (
        tickets.filter(search_vector=text_query)
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
