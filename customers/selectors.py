"""Reads about customers, with a bounded number of queries per page."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Customer, Identity, Order
from .services import normalize_phone

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
        customers = customers.filter(pk__in=Identity.objects.filter(handle=handle).values("customer_id"))
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
    addresses = {customer.email.lower()} - {""}
    addresses |= set(customer.identities.filter(kind="email").values_list("handle", flat=True))
    phones = {customer.phone} - {""}
    phones |= set(
        customer.identities.filter(kind__in=["phone", "sms", "whatsapp"]).values_list(
            "handle", flat=True
        )
    )
    by_identity = Identity.objects.filter(
        Q(kind="email", handle__in=addresses)
        | Q(kind__in=["phone", "sms", "whatsapp"], handle__in=phones)
    ).values("customer_id")
    matches = Q(pk__in=by_identity)
    if addresses:
        matches |= Q(email__in=addresses)
    if phones:
        matches |= Q(phone__in=phones)
    return _with_profile(Customer.objects.filter(matches).exclude(pk=customer.pk))[:limit]
