"""The customer 360 page: everything an agent sees about one customer, in a fixed number of
queries however many tickets, orders, notes and answers the customer has.

The customer row carries its small lists as JSON (identities, latest orders with items,
lifetime value per currency, ticket count, CSAT answers, custom fields: see `lists`; notes,
merges: see `c360_json`), in one statement composed once per process (`c360_sql`). The lists
that grow without bound — tickets and messages — come one keyset page at a time: the first
page rides in the same row, and "show more" asks for the next page with the cursor of the last
row shown (`customer_tickets_page`, `customer_messages_page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.http import Http404

from helpdesk.models import User

from ..models import (
    Customer,
    CustomerMerge,
    CustomerNote,
    CustomField,
    Identity,
    Order,
)
from ..privacy import sees_contact_details
from ..services import PHONE_KINDS
from . import c360_json, c360_sql, rows
from .lists import (
    CsatHistory,
    LifetimeValue,
    csat_history_from,
    csat_json,
    lifetime_values,
)
from .profiles import _contact_points
from .rows import related_model

TICKETS_ON_360 = 20
TIMELINE_MESSAGES = 20
RECENT_ORDERS_ON_360 = 10
NOTES_ON_360 = 40  # pinned ones first, so a handful of pins never pushes out recent notes
MERGES_ON_360 = 10
DUPLICATES_ON_360 = 5
CSAT_ON_360 = 10


class InvalidCursor(ValueError):
    """A "show more" cursor that this page never made."""


@dataclass(frozen=True)
class Page:
    """One keyset page of a list that grows without bound, newest first."""

    rows: list[Any]
    next_cursor: str  # "" on the last page


@dataclass(frozen=True)
class Customer360:
    """Everything an agent sees about one customer, loaded in a fixed number of queries."""

    customer: Customer
    identities: list[Identity]
    lifetime_value: list[LifetimeValue]  # one per currency: yen and dollars never add up
    order_count: int
    recent_orders: list[Order]
    # Ticket rows through the reverse relation `customer.tickets`: customers never imports
    # the tickets app, so they are typed loosely here.
    tickets: list[Any]
    tickets_next: str
    ticket_count: int
    timeline: list[Any]
    timeline_next: str
    csat: CsatHistory | None
    custom_fields: list[CustomField]  # the active definitions, in their order
    pinned_notes: list[CustomerNote]
    recent_notes: list[CustomerNote]
    duplicates: list[Customer]
    merges: list[CustomerMerge]
    show_contact_details: bool


# --- keyset pages ---------------------------------------------------------------------------
def _cursor_of(row: Any, field: str) -> str:
    moment = getattr(row, field)
    return f"{round(moment.timestamp() * 1_000_000)}.{row.pk}"


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    if len(cursor) > 40:  # two integers and a dot: anything longer was not made here
        raise InvalidCursor(cursor[:40])
    try:
        micros, pk = (int(part) for part in cursor.split(".", 1))
        return datetime.fromtimestamp(micros / 1_000_000, tz=UTC), pk
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidCursor(cursor) from exc


def _page(queryset: QuerySet, field: str, limit: int, before: str, *, rows_of=None) -> Page:
    """Rows newer-first, up to `limit`, older than the `before` cursor. With `rows_of`, the
    page's ids are picked from the narrow `queryset` first and `rows_of(ids)` loads the rows
    with their relations: joining them before sorting would read them for every candidate."""
    if before:
        moment, pk = _parse_cursor(before)
        # Microseconds survive the round trip: stored times have no finer resolution.
        queryset = queryset.filter(
            Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk})
        )
    ordering = (f"-{field}", "-pk")
    picked = queryset.order_by(*ordering)[: limit + 1]
    if rows_of is not None:
        picked = rows_of(picked.values("pk")).order_by(*ordering)
    return _first_page(list(picked), field, limit)


def _first_page(found: list[Any], field: str, limit: int) -> Page:
    """A page from up to `limit + 1` rows in order: the extra one says there is more."""
    shown = found[:limit]
    return Page(shown, _cursor_of(shown[-1], field) if len(found) > limit else "")


def customer_tickets_page(
    *, customer_id: int, before: str = "", limit: int = TICKETS_ON_360
) -> Page:
    """The customer's tickets on every channel, latest activity first, one page."""
    tickets = related_model(Customer, "tickets").objects.filter(customer_id=customer_id)
    shown = tickets.select_related("assignee").only(
        "id", "subject", "status", "channel", "updated_at", "assignee__name", "assignee__email"
    )
    return _page(shown, "updated_at", limit, before)


class _AnyOf(Func):
    """`column = ANY(ARRAY(SELECT …))`: PostgreSQL looks up each id through the index."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def customer_messages_page(
    *, customer_id: int, before: str = "", limit: int = TIMELINE_MESSAGES
) -> Page:
    """The customer's messages across all tickets and channels, newest first, one page.

    Internal notes included (staff only). The tickets are matched through `ticket_id =
    ANY(ARRAY(…))`: as a join, PostgreSQL may walk the whole message table backwards by time
    looking for this customer's messages (seconds for a customer who wrote long ago)."""
    ticket_model = related_model(Customer, "tickets")
    message_model = related_model(ticket_model, "messages")
    tickets = ticket_model.objects.filter(customer_id=customer_id).order_by().values("pk")

    def rows_of(ids: QuerySet) -> QuerySet:
        return (
            message_model.objects.filter(pk__in=ids)
            .select_related("ticket", "author")
            .only(
                "id",
                "ticket_id",
                "author_kind",
                "author_id",
                "internal",
                "channel",
                "body_text",
                "created_at",
                "ticket__subject",
                "author__name",
                "author__email",
            )
        )

    messages = message_model.objects.filter(_AnyOf(F("ticket_id"), ArraySubquery(tickets)))
    return _page(messages, "created_at", limit, before, rows_of=rows_of)


# --- the page -------------------------------------------------------------------------------
def customer_360(*, customer_id: int, viewer: User) -> Customer360:
    """The customer page in two queries however many tickets, orders and notes there are: the
    customer row with its JSON lists (notes, merges and the first page of tickets and of
    messages included, see `c360_json`), and the probable duplicates."""
    customer = c360_sql.customer_page_row(
        customer_id,
        (
            RECENT_ORDERS_ON_360,
            NOTES_ON_360,
            TICKETS_ON_360 + 1,  # one more than shown says there is a next page
            TIMELINE_MESSAGES + 1,
            MERGES_ON_360,
            CSAT_ON_360,
        ),
    )
    if customer is None:
        raise Http404
    notes = c360_json.instances(CustomerNote, customer.notes_json)
    identities = rows.instances(Identity, customer.identities_json)
    # Later reads of `customer.identities.all()` (duplicates, avatar) use this list.
    customer._prefetched_objects_cache = {"identities": identities}
    value = lifetime_values(customer.ltv_json)
    ticket_model = related_model(Customer, "tickets")
    tickets = _first_page(
        c360_json.instances(ticket_model, customer.tickets_json), "updated_at", TICKETS_ON_360
    )
    timeline = _first_page(
        c360_json.instances(related_model(ticket_model, "messages"), customer.messages_json),
        "created_at",
        TIMELINE_MESSAGES,
    )
    return Customer360(
        customer=customer,
        identities=identities,
        lifetime_value=value,
        order_count=sum(v.orders for v in value),
        recent_orders=rows.instances(Order, customer.orders_json),
        tickets=tickets.rows,
        tickets_next=tickets.next_cursor,
        ticket_count=customer.ticket_total,
        timeline=timeline.rows,
        timeline_next=timeline.next_cursor,
        csat=csat_history_from(getattr(customer, "csat_json", None)),
        custom_fields=rows.instances(CustomField, customer.fields_json),
        pinned_notes=[note for note in notes if note.pinned],
        recent_notes=[note for note in notes if not note.pinned],
        duplicates=_duplicates_for_360(customer),
        merges=c360_json.instances(CustomerMerge, customer.merges_json),
        show_contact_details=sees_contact_details(viewer),
    )


def _duplicates_for_360(customer: Customer) -> list[Customer]:
    """Who shares a contact point, each with the channels they wrote on (one query)."""
    addresses, phones = _contact_points(customer)
    if not addresses and not phones:
        return []
    return c360_sql.duplicates(
        customer_id=customer.pk,
        addresses=addresses,
        phones=phones,
        phone_kinds=PHONE_KINDS,
        limit=DUPLICATES_ON_360,
    )


# --- kept for callers outside the page ------------------------------------------------------
def customer_timeline(*, customer: Customer, limit: int = TIMELINE_MESSAGES) -> list[Any]:
    """The customer's latest messages across all tickets and channels, newest first: one query."""
    return customer_messages_page(customer_id=customer.pk, limit=limit).rows


def csat_history(*, customer: Customer, limit: int = CSAT_ON_360) -> CsatHistory | None:
    """The customer's latest CSAT answers and their share of good ones (one query), or None
    when no app keeps CSAT answers (`Customer.csat_responses` is the feedback app's relation)."""
    csat = csat_json(limit)
    if csat is None:
        return None
    data = Customer.objects.filter(pk=customer.pk).annotate(csat_json=csat).values("csat_json")
    return csat_history_from(data[0]["csat_json"] if data else None)
