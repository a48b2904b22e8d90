"""Reads about customers, with a bounded number of queries per page."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Customer, Identity


def _with_profile(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    return customers.select_related("organization").prefetch_related(
        Prefetch("identities", queryset=Identity.objects.order_by("kind", "handle"))
    )


def customer_search(*, q: str = "") -> QuerySet[Customer]:
    """Customers whose name, email or any identity handle contains `q` (case-insensitive).

    Plain icontains for now; the Japanese-aware search module replaces it when customers get a
    search column. The identity match is a subquery, not a join, so no DISTINCT is needed.
    """
    customers = Customer.objects.all()
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
