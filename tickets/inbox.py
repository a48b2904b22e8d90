"""The inbox: an agent's views, one page of a view (keyset, tickets.paging), its row columns
and the count of every view — each with a fixed number of queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Left

from helpdesk.models import User

from . import paging, saved_views
from .access import sees_all, visible_tickets
from .models import Message, SavedView, Ticket, TicketSeen

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


# The "All" tab counts every ticket ever received: a million rows to count on every page load
# for a number nobody acts on. It is counted at most once a minute per audience
# (INBOX_ALL_COUNT_SECONDS); the views agents work from (open, mine, unassigned, pending …) are
# counted exactly on every load.
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
