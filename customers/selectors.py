"""Reads about customers, with a bounded number of queries per page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet, Sum, Window
from django.shortcuts import get_object_or_404
from django.utils import timezone

from helpdesk.models import User

from .models import (
    Customer,
    CustomerMerge,
    CustomerNote,
    Identity,
    IdentityKind,
    Order,
    Organization,
    TicketOrder,
)
from .privacy import sees_contact_details
from .services import PHONE_KINDS, normalize_phone
from .templatetags.customers_tags import money

RECENT_ORDERS = 10


def _with_profile(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    recent = Order.objects.order_by("-ordered_at", "-id").prefetch_related("items")
    return customers.select_related("organization").prefetch_related(
        Prefetch("identities", queryset=Identity.objects.order_by("kind", "handle")),
        # A sliced prefetch: one query for every customer's latest orders, however many.
        Prefetch("orders", queryset=recent[:RECENT_ORDERS], to_attr="recent_orders"),
    )


def customer_search(
    *, q: str = "", email: str = "", phone: str = "", handle: str = ""
) -> QuerySet[Customer]:
    """Customers whose name, email or any identity handle contains `q` (case-insensitive).

    Plain icontains for now; the Japanese-aware search module replaces it when customers get a
    search column. The identity match is a subquery, not a join, so no DISTINCT is needed.
    """
    customers = Customer.objects.all()
    if email:
        by_email = Identity.objects.filter(kind="email", handle=email.lower()).values("customer_id")
        customers = customers.filter(Q(email__iexact=email) | Q(pk__in=by_email))
    if phone:
        number = normalize_phone(phone)
        by_phone = Identity.objects.filter(handle=number).values("customer_id")
        customers = customers.filter(Q(phone=number) | Q(pk__in=by_phone))
    if handle:
        customers = customers.filter(
            pk__in=Identity.objects.filter(handle=handle).values("customer_id")
        )
    q = q.strip()
    if q:
        by_handle = Identity.objects.filter(handle__icontains=q).values("customer_id")
        customers = customers.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(pk__in=by_handle)
        )
    return _with_profile(customers)


def customer_detail(*, customer_id: int) -> Customer:
    return get_object_or_404(_with_profile(Customer.objects.all()), pk=customer_id)


def probable_duplicates(*, customer: Customer, limit: int = 10) -> QuerySet[Customer]:
    """Other customers sharing an email address or phone number with this one, on any channel."""
    matches = _duplicate_match(customer)
    if matches is None:
        return Customer.objects.none()
    return _with_profile(Customer.objects.filter(matches).exclude(pk=customer.pk))[:limit]


def _duplicate_match(customer: Customer) -> Q | None:
    """Who shares a contact point with `customer`. Reads the identities through
    `customer.identities.all()`, so an already prefetched list costs no query."""
    identities = list(customer.identities.all())
    addresses = {customer.email.lower()} - {""}
    addresses |= {i.handle for i in identities if i.kind == IdentityKind.EMAIL}
    # The profile's number may have been typed with punctuation; identities are normalized.
    phones = {customer.phone, normalize_phone(customer.phone)} - {""}
    phones |= {i.handle for i in identities if i.kind in PHONE_KINDS}
    if not addresses and not phones:
        return None
    by_identity = Identity.objects.filter(
        Q(kind=IdentityKind.EMAIL, handle__in=addresses)
        | Q(kind__in=PHONE_KINDS, handle__in=phones)
    ).values("customer_id")
    matches = Q(pk__in=by_identity)
    if addresses:
        matches |= Q(email__in=addresses)
    if phones:
        matches |= Q(phone__in=phones)
    return matches


# --- the customer 360 page ------------------------------------------------------------------
TICKETS_ON_360 = 50
NOTES_ON_360 = 40  # pinned ones first, so a handful of pins never pushes out recent notes
MERGES_ON_360 = 10
DUPLICATES_ON_360 = 5


@dataclass(frozen=True)
class LifetimeValue:
    currency: str
    total: Decimal
    orders: int


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
    ticket_count: int
    pinned_notes: list[CustomerNote]
    recent_notes: list[CustomerNote]
    duplicates: list[Customer]
    merges: list[CustomerMerge]
    show_contact_details: bool


def customer_360(*, customer_id: int, viewer: User) -> Customer360:
    """The customer page in ≤ 12 queries however many tickets, orders and notes there are."""
    notes = CustomerNote.objects.select_related("author").order_by("-pinned", "-created_at", "-id")
    customer = get_object_or_404(
        _with_profile(Customer.objects.all()).prefetch_related(
            Prefetch("notes", queryset=notes[:NOTES_ON_360], to_attr="shown_notes")
        ),
        pk=customer_id,
    )
    value = list(
        Order.objects.filter(customer=customer)
        .order_by("currency")
        .values("currency")
        .annotate(total=Sum("total"), orders=Count("id"))
    )
    # COUNT(*) OVER () rides along with the first page: the total without a second query.
    tickets = list(
        customer.tickets.select_related("assignee")
        .annotate(total_count=Window(expression=Count("id")))
        .order_by("-updated_at", "-id")[:TICKETS_ON_360]
    )
    return Customer360(
        customer=customer,
        identities=list(customer.identities.all()),
        lifetime_value=[LifetimeValue(v["currency"], v["total"], v["orders"]) for v in value],
        order_count=sum(v["orders"] for v in value),
        recent_orders=customer.recent_orders,
        tickets=tickets,
        ticket_count=tickets[0].total_count if tickets else 0,
        pinned_notes=[note for note in customer.shown_notes if note.pinned],
        recent_notes=[note for note in customer.shown_notes if not note.pinned],
        duplicates=_duplicates_for_360(customer),
        merges=list(
            CustomerMerge.objects.filter(into=customer)
            .select_related("actor")
            .order_by("-created_at")[:MERGES_ON_360]
        ),
        show_contact_details=sees_contact_details(viewer),
    )


def _duplicates_for_360(customer: Customer) -> list[Customer]:
    matches = _duplicate_match(customer)
    if matches is None:
        return []
    identities = Prefetch("identities", queryset=Identity.objects.order_by("kind", "handle"))
    return list(
        Customer.objects.filter(matches)
        .exclude(pk=customer.pk)
        .select_related("organization")
        .prefetch_related(identities)
        .order_by("-created_at", "-id")[:DUPLICATES_ON_360]
    )


def merge_pair(*, into_id: int, source_id: int) -> tuple[Customer, Customer]:
    """Both sides of a merge, each with its identities and how many rows would move.

    One count per relation, grouped by customer: joining tickets, orders and notes at once
    would multiply them.
    """
    identities = Prefetch("identities", queryset=Identity.objects.order_by("kind", "handle"))
    pair = Customer.objects.select_related("organization").prefetch_related(identities)
    into = get_object_or_404(pair, pk=into_id)
    source = get_object_or_404(pair, pk=source_id)
    for relation in ("tickets", "orders", "notes"):
        counts = dict(
            Customer.objects.filter(pk__in=[into.pk, source.pk])
            .annotate(n=Count(relation))
            .values_list("pk", "n")
        )
        for customer in (into, source):
            setattr(customer, f"{relation}_count", counts.get(customer.pk, 0))
    return into, source


@dataclass(frozen=True)
class CustomerPanel:
    """What the ticket page shows about its customer, beside the conversation."""

    pinned_notes: list[CustomerNote]
    recent_orders: list[Order]
    lifetime_value: list[LifetimeValue]
    order_count: int


PANEL_ORDERS = 3


def customer_panel(*, customer: Customer) -> CustomerPanel:
    """Pinned notes, the latest orders with items and the lifetime value: four queries."""
    value = list(
        Order.objects.filter(customer=customer)
        .order_by("currency")
        .values("currency")
        .annotate(total=Sum("total"), orders=Count("id"))
    )
    return CustomerPanel(
        pinned_notes=list(customer.notes.filter(pinned=True).order_by("-created_at")[:5]),
        recent_orders=list(
            customer.orders.prefetch_related("items").order_by("-ordered_at", "-id")[:PANEL_ORDERS]
        ),
        lifetime_value=[LifetimeValue(v["currency"], v["total"], v["orders"]) for v in value],
        order_count=sum(v["orders"] for v in value),
    )


@dataclass(frozen=True)
class PersonalDataSummary:
    identities: int
    orders: int
    notes: int
    tickets: int
    messages: int
    attachments: int


def personal_data_summary(*, customer: Customer) -> PersonalDataSummary:
    """What an export would contain and an erasure would touch, counted (three queries).

    Tickets, messages and attachments are reached through reverse relations by name: this app
    imports none of the others."""
    own = Customer.objects.filter(pk=customer.pk)
    counts = own.aggregate(
        identities=Count("identities", distinct=True),
        orders=Count("orders", distinct=True),
        notes=Count("notes", distinct=True),
    )
    conversation = customer.tickets.aggregate(
        n_tickets=Count("id", distinct=True),
        n_messages=Count("messages", distinct=True),
        n_attachments=Count("messages__attachments", distinct=True),
    )
    return PersonalDataSummary(
        **counts,
        tickets=conversation["n_tickets"],
        messages=conversation["n_messages"],
        attachments=conversation["n_attachments"],
    )


# --- the 360 timeline: every message on every channel ---------------------------------------
TIMELINE_MESSAGES = 50


def _related_model(model, name: str):
    """The model behind a reverse relation, found by name: this app imports no other app."""
    return model._meta.get_field(name).related_model


def customer_timeline(*, customer: Customer, limit: int = TIMELINE_MESSAGES) -> list[Any]:
    """The customer's latest messages across all tickets and channels, newest first: one query.

    Message rows come with their ticket and author; internal notes included (staff only)."""
    ticket_model = _related_model(Customer, "tickets")
    message_model = _related_model(ticket_model, "messages")
    return list(
        message_model.objects.filter(ticket__customer=customer)
        .select_related("ticket", "author")
        .order_by("-created_at", "-id")[:limit]
    )


# --- organizations ------------------------------------------------------------------------
ORG_CUSTOMERS = 100
ORG_TICKETS = 100


def organizations_with_counts() -> QuerySet[Organization]:
    return Organization.objects.annotate(customer_count=Count("customers")).order_by("name")


@dataclass(frozen=True)
class OrganizationView:
    organization: Organization
    customers: list[Customer]
    customer_count: int
    tickets: list[Any]
    ticket_count: int
    open_ticket_count: int


def organization_view(*, organization_id: int) -> OrganizationView:
    """Everyone of the organization and their tickets on every channel: four queries."""
    organization = get_object_or_404(Organization, pk=organization_id)
    customers = list(
        Customer.objects.filter(organization=organization)
        .annotate(total_count=Window(expression=Count("id")))
        .order_by("name", "id")[:ORG_CUSTOMERS]
    )
    ticket_model = _related_model(Customer, "tickets")
    shared = ticket_model.objects.filter(customer__organization=organization)
    tickets = list(
        shared.select_related("customer", "assignee").order_by("-updated_at", "-id")[:ORG_TICKETS]
    )
    counts = shared.aggregate(
        total=Count("id"),
        unsolved=Count("id", filter=~Q(status__in=("solved", "closed"))),
    )
    return OrganizationView(
        organization=organization,
        customers=customers,
        customer_count=customers[0].total_count if customers else 0,
        tickets=tickets,
        ticket_count=counts["total"],
        open_ticket_count=counts["unsolved"],
    )


# --- orders for tickets and macros --------------------------------------------------------
ORDERS_TO_PICK = 50


def ticket_order(*, ticket_id: int) -> Order | None:
    """The order an agent linked to this ticket, with its items."""
    link = (
        TicketOrder.objects.filter(ticket_id=ticket_id)
        .select_related("order")
        .prefetch_related("order__items")
        .first()
    )
    return link.order if link else None


def orders_to_pick(*, customer: Customer) -> list[Order]:
    """The customer's latest orders, for the ticket page's "this is about order …" picker."""
    return list(customer.orders.order_by("-ordered_at", "-id")[:ORDERS_TO_PICK])


def order_placeholders(customer: Customer, order: Order | None = None) -> dict[str, str]:
    """Order facts for macros: `{{order.number}}`, status, tracking, carrier, total …

    `order` is the one linked to the ticket when there is one; else the customer's latest.
    Every key is always present ("" when unknown), so a macro never shows a raw placeholder.
    """
    if order is None:
        order = customer.orders.order_by("-ordered_at", "-id").first() if customer.pk else None
    if order is None:
        keys = (
            "number",
            "status",
            "shipping_status",
            "tracking",
            "tracking_url",
            "carrier",
            "total",
            "date",
        )
        return dict.fromkeys(keys, "")
    return {
        "number": order.number,
        "status": order.status,
        "shipping_status": order.shipping_status,
        "tracking": order.tracking_number,
        "tracking_url": order.tracking_url,
        "carrier": order.carrier,
        "total": money(order.total, order.currency),
        "date": timezone.localtime(order.ordered_at).date().isoformat(),
    }


# --- satisfaction, when the feedback app is installed --------------------------------------
CSAT_ON_360 = 10


@dataclass(frozen=True)
class CsatHistory:
    responses: list[Any]  # rows with rating, is_good, scale, comment, ticket_id, created_at
    total: int
    good: int

    @property
    def good_percent(self) -> int:
        return round(100 * self.good / self.total) if self.total else 0


def csat_history(*, customer: Customer, limit: int = CSAT_ON_360) -> CsatHistory | None:
    """The customer's latest CSAT answers and their share of good ones (two queries), or None
    when no app keeps CSAT answers (`Customer.csat_responses` is the feedback app's relation)."""
    try:
        model = _related_model(Customer, "csat_responses")
    except FieldDoesNotExist:
        return None
    answers = model.objects.filter(customer=customer)
    counts = answers.aggregate(total=Count("id"), good=Count("id", filter=Q(is_good=True)))
    return CsatHistory(
        responses=list(answers.order_by("-created_at", "-id")[:limit]),
        total=counts["total"],
        good=counts["good"],
    )
