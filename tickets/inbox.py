"""The inbox: an agent's views, one page of a view (keyset, tickets.paging), its row columns
and the count of every view — each with a fixed number of queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

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
from .inbox_rows import TicketRow
from .models import Message, SavedView, Ticket, TicketSeen

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# The views themselves live in saved_views; these names stay for older callers.
INBOX_VIEWS = saved_views.BUILT_IN_VIEWS
DEFAULT_VIEW = saved_views.DEFAULT_VIEW
# One more than a row shows, so that the row knows the text went on (and adds an ellipsis).
PREVIEW_CHARS = 181
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
    tickets: list[TicketRow]
    next_cursor: str  # "" on the last page


def inbox_page(
    *,
    viewer: User,
    inbox: Inbox,
    after: str = "",
    limit: int = INBOX_LIMIT,
) -> InboxPage:
    """One page of the view in its order, after the cursor of the previous page's last row:
    two queries whatever the page (its ids off the view's index, keyset as in tickets.paging;
    then their rows). InvalidCursor for a bad cursor."""
    key = inbox.current
    sort = inbox.saved[key].sort if key in inbox.saved else ""
    keys = paging.sort_keys(sort)
    tickets = visible_tickets(viewer).filter(saved_views.view_filter(key, viewer, inbox.saved))
    tickets = saved_views.ordered(tickets, sort)
    if after:
        tickets = tickets.filter(paging.after(keys, paging.parse_cursor(after, keys)))
    # The page's ids and sort values (the cursor is made of the last row's), nothing joined.
    fields = [key.field for key in keys if key.field != "id"]
    picked = list(tickets.values("pk", *fields)[: limit + 1])
    more = len(picked) > limit
    picked = picked[:limit]
    rows = ticket_rows([values["pk"] for values in picked], viewer)
    last = SimpleNamespace(id=picked[-1]["pk"], **picked[-1]) if more else None
    return InboxPage(rows, paging.cursor_for(last, keys) if last else "")


def inbox_tickets(
    *, viewer: User, view: str = DEFAULT_VIEW, limit: int = INBOX_LIMIT, inbox: Inbox | None = None
) -> list[TicketRow]:
    """The first page of a view."""
    inbox = inbox or inbox_for(viewer=viewer, view=view)
    return inbox_page(viewer=viewer, inbox=inbox, limit=limit).tickets


# What a row shows, in one constant statement: building a Ticket, its Customer, User and Team
# models for 50 rows, and compiling the ORM query that selects them, cost more than running
# it. Count, preview, "unread" and tags are correlated subqueries, not a join and GROUP BY, so
# PostgreSQL works them out for the page's rows only.
_ROW_SQL = """
SELECT t.id AS pk, t.subject, t.status, t.priority, t.channel, t.created_at, t.updated_at,
       t.sla_target, t.sla_due_at, t.sla_breached, t.customer_id, t.assignee_id, t.team_id,
       c.name AS customer__name, c.email AS customer__email,
       a.name AS assignee__name, a.email AS assignee__email, team.name AS team__name,
       (SELECT count(*) FROM tickets_message m
         WHERE m.ticket_id = t.id AND NOT m.internal) AS message_count,
       left((SELECT m.body_text FROM tickets_message m
              WHERE m.ticket_id = t.id AND NOT m.internal
              ORDER BY m.created_at DESC, m.id DESC LIMIT 1), %(preview)s) AS preview,
       coalesce(t.customer_activity_at > coalesce(
           (SELECT s.seen_at FROM tickets_ticketseen s
             WHERE s.ticket_id = t.id AND s.user_id = %(viewer)s LIMIT 1),
           'epoch'::timestamptz), false) AS unread,
       ARRAY(SELECT tag.name FROM tickets_ticket_tags tt
               JOIN tickets_tag tag ON tag.id = tt.tag_id
              WHERE tt.ticket_id = t.id ORDER BY tag.name) AS tag_names
  FROM tickets_ticket t
  JOIN customers_customer c ON c.id = t.customer_id
  LEFT JOIN helpdesk_user a ON a.id = t.assignee_id
  LEFT JOIN tickets_team team ON team.id = t.team_id
 WHERE t.id = ANY(%(ids)s)
"""


def ticket_rows(ids: list[int], viewer: User | None) -> list[TicketRow]:
    """The inbox rows of these tickets, in the order of `ids`: one query. Pages pick their ids
    first (off the view's own index, nothing joined), so only the page's rows are joined to
    customers, users, teams, messages and tags: when the join came first, a stale row estimate
    once made PostgreSQL join 7,000 unassigned tickets to sort them."""
    if not ids:
        return []
    params = {"ids": list(ids), "viewer": viewer.pk if viewer else 0, "preview": PREVIEW_CHARS}
    with connection.cursor() as cursor:
        cursor.execute(_ROW_SQL, params)
        names = [column.name for column in cursor.description]
        found = {values[0]: TicketRow(dict(zip(names, values, strict=True))) for values in cursor}
    return [found[pk] for pk in ids if pk in found]


def with_row_columns(tickets: QuerySet[Ticket], viewer: User | None = None) -> QuerySet[Ticket]:
    """The row columns on Ticket models (the API's search results): what ticket_rows reads."""
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
# The inbox's tabs count up to this many and then say "1,000+": counting 34,000 open tickets
# on every page load and live refresh took longer than everything else on the page, for a
# number past which an agent does nothing differently. The API's view list counts exactly.
INBOX_COUNT_CAP = 1000


def inbox_counts(
    *, viewer: User, inbox: Inbox | None = None, cap: int | None = None
) -> dict[str, int]:
    """Tickets per view, built-in and custom, in one round trip (two when "All" is due).

    One scalar COUNT subquery per view rather than one pass with a FILTER per view: each
    subquery reads only the index that matches its view (a few thousand open tickets), where
    a single pass would read every ticket ever received. With a `cap`, a view stops counting
    past it (its count is then cap + 1: "more than cap")."""
    inbox = inbox or inbox_for(viewer=viewer, view=None)
    visible = visible_tickets(viewer).order_by()
    # Capped, "All" is as cheap as any other view and needs no memory.
    exact = [view for view in inbox.views if cap or view.key not in CACHED_COUNT_VIEWS]
    parts, params = [], []
    for view in exact:
        query = visible.filter(saved_views.view_filter(view.key, viewer, inbox.saved))
        query = query.values("pk")
        sql, view_params = (query[: cap + 1] if cap else query).query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS view_rows)")  # noqa: S608 - Django-compiled SQL, bound params
        params.extend(view_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        values = cursor.fetchone()
    counts = {view.key: value for view, value in zip(exact, values, strict=True)}
    audience = "everyone" if sees_all(viewer) else f"user-{viewer.pk}"
    for key in CACHED_COUNT_VIEWS - counts.keys():
        counts[key] = cache.get_or_set(
            f"inbox-count:{key}:{audience}",
            lambda key=key: visible.filter(
                saved_views.view_filter(key, viewer, inbox.saved)
            ).count(),
            settings.INBOX_ALL_COUNT_SECONDS,
        )
    if cap:
        counts = {key: min(value, cap + 1) for key, value in counts.items()}
    return {view.key: counts[view.key] for view in inbox.views}
