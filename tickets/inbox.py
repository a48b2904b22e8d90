"""The inbox: an agent's views, one page of a view (keyset, tickets.paging), its row columns
and the count of every view — each with a fixed number of queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
from django.utils import timezone

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
    """Resolve the view key (unknown keys fall back to the default view): one query, its SQL
    compiled once per viewer (compiling and iterating the ORM query cost 1.4 ms a page, the
    raw statement 0.3)."""
    sql, params = _compiled(
        ("saved-views",),
        viewer,
        lambda: saved_views.visible_saved_views(viewer).query.sql_with_params(),
    )
    saved = {str(item.pk): item for item in SavedView.objects.raw(sql, params)}
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
    one statement whatever the page (its ids off the view's index, keyset as in tickets.paging,
    nothing joined; then only those rows joined to their columns). InvalidCursor for a bad
    cursor."""
    key = inbox.current
    sort = inbox.saved[key].sort if key in inbox.saved else ""
    keys = paging.sort_keys(sort)
    # The page's ids and sort values (the cursor is made of the last row's).
    fields = [key.field for key in keys if key.field != "id"]
    if not after and key in _STABLE_SQL_VIEWS:
        ids_sql, ids_params = _compiled(
            ("page", key, limit),
            viewer,
            lambda: _page_ids(key, viewer, inbox, "", fields, limit),
        )
    else:
        ids_sql, ids_params = _page_ids(key, viewer, inbox, after, fields, limit)
    order = ", ".join(
        f"page.{'pk' if sort_key.field == 'id' else sort_key.field}"
        f"{' DESC' if sort_key.descending else ''}{' NULLS LAST' if sort_key.nullable else ''}"
        for sort_key in keys
    )
    extra = "".join(f", page.{field}" for field in fields if field not in _ROW_COLUMN_NAMES)
    sql = _PAGE_SQL.format(ids=ids_sql, extra=extra, order=order)
    rows = _fetch_rows(sql, (*ids_params, PREVIEW_CHARS, viewer.pk))
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(rows, paging.cursor_for(rows[-1], keys) if more else "")


def _page_ids(key: str, viewer: User, inbox: Inbox, after: str, fields: list[str], limit: int):
    """The SQL of the page's ids and sort values: what the view's own index answers alone."""
    sort = inbox.saved[key].sort if key in inbox.saved else ""
    tickets = visible_tickets(viewer).filter(saved_views.view_filter(key, viewer, inbox.saved))
    tickets = saved_views.ordered(tickets, sort)
    if after:
        keys = paging.sort_keys(sort)
        tickets = tickets.filter(paging.after(keys, paging.parse_cursor(after, keys)))
    return tickets.values("pk", *fields)[: limit + 1].query.sql_with_params()


# Built-in views' SQL depends on nothing but the viewer, and for "solved" the moment seven days
# ago: the first page's and the count's statement are compiled once per viewer and kept, as
# turning a view's Q objects into SQL on every load cost more CPU than PostgreSQL took to answer.
# "Solved recently"'s cut-off is a parameter of the kept statement, set afresh on every use.
_STABLE_SQL_VIEWS = saved_views.BUILT_IN_KEYS
_COMPILED: dict[tuple, tuple[str, tuple, tuple[int, ...]]] = {}
_COMPILED_MAX = 5000
_SOLVED_WINDOW = timedelta(days=saved_views.SOLVED_RECENTLY_DAYS)


def _compiled(what: tuple, viewer: User, compile_sql) -> tuple[str, tuple]:
    """`compile_sql()`'s (sql, params), kept per `what` and everything about the viewer that
    the SQL depends on (visibility.visibility_q: role, active, the visibility setting)."""
    key = (*what, viewer.pk, viewer.role, viewer.is_active, settings.TICKET_VISIBILITY)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        before = timezone.now() - _SOLVED_WINDOW
        sql, params = compile_sql()
        after = timezone.now() - _SOLVED_WINDOW
        # The "solved" view's cut-off (saved_views.built_in_filter: now minus the window).
        moving = tuple(
            index
            for index, value in enumerate(params)
            if isinstance(value, datetime) and before <= value <= after
        )
        found = _COMPILED[key] = (sql, tuple(params), moving)
    sql, params, moving = found
    if moving:
        since = timezone.now() - _SOLVED_WINDOW
        params = tuple(since if index in moving else value for index, value in enumerate(params))
    return sql, params


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
_ROW_COLUMNS = """
       t.id AS pk, t.subject, t.status, t.priority, t.channel, t.created_at, t.updated_at,
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
              WHERE tt.ticket_id = t.id ORDER BY tag.name) AS tag_names"""
_ROW_JOINS = """
  JOIN customers_customer c ON c.id = t.customer_id
  LEFT JOIN helpdesk_user a ON a.id = t.assignee_id
  LEFT JOIN tickets_team team ON team.id = t.team_id"""
_ROW_COLUMN_NAMES = frozenset(
    ("pk", "created_at", "updated_at", "sla_due_at", "status", "priority", "channel")
)
_ROW_SQL = f"SELECT {_ROW_COLUMNS} FROM tickets_ticket t {_ROW_JOINS} WHERE t.id = ANY(%(ids)s)"  # noqa: S608 - constant SQL
# A page in one round trip: its ids off the view's index (the CTE, compiled by the ORM), then
# their rows, in the view's order. {ids}, {extra} and {order} are our own SQL, never input.
_PAGE_SQL = (
    "WITH page AS MATERIALIZED ({ids}) SELECT "  # noqa: S608 - constant SQL
    + _ROW_COLUMNS.replace("%(preview)s", "%s").replace("%(viewer)s", "%s")
    + "{extra} FROM page JOIN tickets_ticket t ON t.id = page.pk"
    + _ROW_JOINS
    + " ORDER BY {order}"
)
_ORDERED_ROWS_SQL = (
    "WITH page AS MATERIALIZED (SELECT * FROM unnest(ARRAY({ids})) "  # noqa: S608 - constant SQL
    "WITH ORDINALITY AS ids(pk, n)) SELECT "
    + _ROW_COLUMNS.replace("%(preview)s", "%s").replace("%(viewer)s", "%s")
    + " FROM page JOIN tickets_ticket t ON t.id = page.pk"
    + _ROW_JOINS
    + " ORDER BY page.n"
)


def ticket_rows(ids: list[int], viewer: User | None) -> list[TicketRow]:
    """The inbox rows of these tickets, in the order of `ids`: one query. Pages pick their ids
    first (off the view's own index, nothing joined), so only the page's rows are joined to
    customers, users, teams, messages and tags: when the join came first, a stale row estimate
    once made PostgreSQL join 7,000 unassigned tickets to sort them."""
    if not ids:
        return []
    params = {"ids": list(ids), "viewer": viewer.pk if viewer else 0, "preview": PREVIEW_CHARS}
    found = {row.pk: row for row in _fetch_rows(_ROW_SQL, params)}
    return [found[pk] for pk in ids if pk in found]


def rows_in_order(ids_sql: str, ids_params, viewer: User | None) -> list[TicketRow]:
    """The inbox rows of the ids a statement gives, in its order (a search's best matches), in
    the same round trip as that statement: ARRAY() keeps the order of its subquery."""
    sql = _ORDERED_ROWS_SQL.format(ids=ids_sql)
    return _fetch_rows(sql, (*ids_params, PREVIEW_CHARS, viewer.pk if viewer else 0))


def _fetch_rows(sql: str, params) -> list[TicketRow]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [TicketRow(dict(zip(names, values, strict=True))) for values in cursor]


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

        def count_sql(key=view.key):
            query = visible.filter(saved_views.view_filter(key, viewer, inbox.saved))
            query = query.values("pk")
            sql, view_params = (query[: cap + 1] if cap else query).query.sql_with_params()
            return f"(SELECT COUNT(*) FROM ({sql}) AS view_rows)", view_params  # noqa: S608 - Django-compiled SQL, bound params

        if view.key in _STABLE_SQL_VIEWS:
            sql, view_params = _compiled(("count", view.key, cap), viewer, count_sql)
        else:
            sql, view_params = count_sql()
        parts.append(sql)
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
