"""The agent's ticket search: which tickets match a search box string, best first.

A common word matches a tenth of a million tickets (「返品」, "refund"); ranking every match
means reading every match's search vector, and even finding the most recent matches through the
GIN index means visiting every matching row to learn its date. So a search is answered in two
bounded steps, both ordered by recency first:

1. Walk the newest tickets (the view's own recency index, RECENT_WINDOW rows at most) and keep
   the first SEARCH_CANDIDATES that match. For the words agents type, a full page of matches
   turns up within a few thousand tickets; the walk stops there.
2. Only when that finds less than a page does the GIN index answer, in two bounded steps:
   first among the newest NEWER_IDS tickets by id (the GIN index and the primary key's range,
   ANDed as bitmaps, so only matches in that range are read): a common word that the newest
   activity happens not to hold (74,000 matches for "refund" on the 1M bench data) is answered
   there in ~65 ms instead of ~300 ms for reading every match to learn its date. The latest
   of those matches are the candidates; a ticket created before that range but active since
   is then not among them (an old conversation is still found when fewer than a page of
   matches lies in the range).
3. Otherwise (a rare word: an order number, a name, an old conversation) every match, most
   recent first. Rare words have few matches, which is what the GIN index is fast at.

The candidates are then ranked (ts_rank, weights of helpdesk.search) and the best `limit` ids
returned; only those rows are read in full. No count of all matches is ever made: the page says
"the 50 best matches", never "112,345 tickets".
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet, Subquery

from customers.models import Identity
from helpdesk.models import User
from helpdesk.search import RANK_WEIGHTS, SEARCH_CONFIG, query_expression

from .access import visible_tickets
from .inbox import _compiled, rows_in_order, with_row_columns
from .inbox_rows import TicketRow
from .models import Tag, Ticket
from .search_query import TicketQuery, parse_ticket_query

# Past the best fifty an agent refines the query rather than scrolls.
SEARCH_LIMIT = 50
# How many of the most recent matches are ranked.
SEARCH_CANDIDATES = 200
# How many of the newest tickets step 1 looks through before asking the GIN index.
RECENT_WINDOW = 4000
# Step 2: the newest tickets by id (a tenth of the bench data set) the GIN index answers first.
NEWER_IDS = 100_000

# One statement. `recent`: the first candidates among the newest tickets (the walk stops at
# SEARCH_CANDIDATES matches or RECENT_WINDOW tickets). Only when that is less than a page does
# `newer` run (a one-time filter: otherwise PostgreSQL never starts it): the matches among the
# newest NEWER_IDS ids, and the latest of them are the candidates when they are a page or more.
# Only when they are not does the last branch run: every match from the GIN index,
# materialized so that PostgreSQL cannot walk the recency index instead (it likes to when it
# overestimates the matches, and would then read a great many tickets to find a few), and the
# latest of them. Then the candidates are ranked and the best ids returned.
_SEARCH = """
WITH recent AS MATERIALIZED (
    SELECT walk.pk, walk.updated_at, walk.search_vector FROM ({walk}) AS walk
     WHERE walk.search_vector @@ to_tsquery(%s::regconfig, %s)
     LIMIT %s
), enough AS MATERIALIZED (SELECT count(*) >= %s AS yes FROM recent),
newer AS MATERIALIZED (
    SELECT ranged.pk, ranged.updated_at FROM ({newer}) AS ranged
     WHERE NOT (SELECT yes FROM enough)
), newer_enough AS MATERIALIZED (SELECT count(*) >= %s AS yes FROM newer)
SELECT candidates.pk FROM (
    SELECT pk, updated_at, search_vector FROM recent WHERE (SELECT yes FROM enough)
    UNION ALL
    SELECT ticket.id AS pk, ticket.updated_at, ticket.search_vector
      FROM (SELECT pk FROM newer ORDER BY updated_at DESC, pk DESC LIMIT %s) AS latest
      JOIN tickets_ticket ticket ON ticket.id = latest.pk
     WHERE (SELECT yes FROM newer_enough)
    UNION ALL
    SELECT * FROM (
        WITH matches AS MATERIALIZED ({matches})
        SELECT ticket.id AS pk, ticket.updated_at, ticket.search_vector
          FROM (SELECT pk FROM matches ORDER BY updated_at DESC, pk DESC LIMIT %s) AS latest
          JOIN tickets_ticket ticket ON ticket.id = latest.pk
    ) AS older WHERE NOT (SELECT yes FROM enough) AND NOT (SELECT yes FROM newer_enough)
) AS candidates
ORDER BY ts_rank(%s::real[], candidates.search_vector, to_tsquery(%s::regconfig, %s), 1) DESC,
         candidates.updated_at DESC, candidates.pk DESC
LIMIT %s
"""


def search_rows(
    *, viewer: User, query: str | TicketQuery, limit: int = SEARCH_LIMIT
) -> list[TicketRow]:
    """The inbox rows (tickets.inbox_rows.TicketRow) of the best matches: one statement (the
    search's, then only its ids' rows joined), as a view's page is."""
    search = _search_sql(viewer=viewer, query=query, limit=limit)
    return rows_in_order(*search, viewer) if search else []


def search_tickets(
    *,
    viewer: User,
    query: str | TicketQuery,
    limit: int = SEARCH_LIMIT,
    within: QuerySet[Ticket] | None = None,
) -> list[Ticket]:
    """Tickets matching a search box string, best match first (then latest activity), as models
    with the inbox's row columns (the API serializes them). `within` narrows the search to a
    queryset the caller already filtered (the API's other parameters)."""
    ids = search_ids(viewer=viewer, query=query, limit=limit, within=within)
    found = {t.pk: t for t in with_row_columns(Ticket.objects.filter(pk__in=ids), viewer)}
    return [found[pk] for pk in ids if pk in found]


def search_ids(
    *,
    viewer: User,
    query: str | TicketQuery,
    limit: int = SEARCH_LIMIT,
    within: QuerySet[Ticket] | None = None,
) -> list[int]:
    """The ids of the best `limit` matches in order ([] when the query asks for nothing: an
    empty query, or only punctuation, never means "every ticket")."""
    search = _search_sql(viewer=viewer, query=query, limit=limit, within=within)
    if not search:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*search)
        return [pk for (pk,) in cursor.fetchall()]


def _search_sql(
    *,
    viewer: User,
    query: str | TicketQuery,
    limit: int,
    within: QuerySet[Ticket] | None = None,
) -> tuple[str, list] | None:
    """The statement (and its parameters) giving the ids of the best matches, best first;
    None when the query asks for nothing."""
    if not viewer.is_staff_member:
        raise PermissionDenied
    parsed = query if isinstance(query, TicketQuery) else parse_ticket_query(query)
    expression = query_expression(parsed.text) if parsed.text else ""
    if not expression and not parsed.has_filters:
        return None
    if expression and not parsed.has_filters and within is None:
        # Words alone, the search box's usual case: the statement depends only on the viewer,
        # the words are parameters. Compiled once per viewer (it cost 1.7 ms of CPU a search).
        sql, params = _compiled(
            ("search", limit, RECENT_WINDOW, SEARCH_CANDIDATES, NEWER_IDS),
            viewer,
            lambda: _text_search_sql(viewer, parsed, _WORDS, limit, None),
        )
        return sql, [expression if value == _WORDS else value for value in params]
    return _text_search_sql(viewer, parsed, expression, limit, within)


# Stands for the words in a kept statement's parameters (tickets.inbox._compiled).
_WORDS = "\x00words\x00"


def _text_search_sql(viewer, parsed, expression, limit, within):
    tickets = _operator_filtered(visible_tickets(viewer, within), parsed, viewer).order_by(
        "-updated_at", "-id"
    )
    if not expression:
        return tickets.values_list("pk", flat=True)[:limit].query.sql_with_params()
    candidates = max(SEARCH_CANDIDATES, limit)
    newest = tickets.values("pk", "updated_at", "search_vector")[:RECENT_WINDOW]
    walk, walk_params = newest.query.sql_with_params()
    text = SearchQuery(expression, search_type="raw", config=SEARCH_CONFIG)
    every = tickets.filter(search_vector=text).order_by().values("pk", "updated_at")
    last_id = Ticket._base_manager.order_by("-pk").values("pk")[:1]
    newest_ids = Subquery(last_id, output_field=BigIntegerField()) - NEWER_IDS
    # "OR id < 0" matches nothing (ids are positive) but makes the range a BitmapOr: a plain
    # index scan cannot take an OR, so PostgreSQL must AND the range with the GIN index as
    # bitmaps. Without it, for words with many matches, it walked the 100,000 ids' rows,
    # testing each one's search vector (0.6 s), underestimating what that test costs.
    in_range = every.filter(Q(pk__gt=newest_ids) | Q(pk__lt=0))
    newer, newer_params = in_range.query.sql_with_params()
    matches, match_params = every.query.sql_with_params()
    params = [
        *walk_params,
        *(SEARCH_CONFIG, expression, candidates, limit),
        *newer_params,
        *(limit, candidates),
        *match_params,
        *(candidates, RANK_WEIGHTS, SEARCH_CONFIG, expression, limit),
    ]
    return _SEARCH.format(walk=walk, newer=newer, matches=matches), params


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
