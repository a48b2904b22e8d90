"""Feedback items ("you said, we did"): lists, revenue of linked customers, links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from customers.models import Order

from ..models import (
    FeedbackItem,
    FeedbackLink,
)


def open_items_for_linking(*, limit: int = 100) -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.exclude(status__in=("done", "declined")).order_by("title")[:limit]


def feedback_items(*, status: str | None = None, query: str = "") -> QuerySet[FeedbackItem]:
    """Items ranked by how many distinct customers asked for them."""
    items = FeedbackItem.objects.annotate(
        votes=Count("links__customer", distinct=True),
        ticket_count=Count("links", distinct=True),
    )
    if status:
        items = items.filter(status=status)
    if query:
        items = items.filter(Q(title__icontains=query) | Q(description__icontains=query))
    return items.order_by("-votes", "-updated_at", "-id")


def items_revenue(*, item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Lifetime order value of each item's linked customers, per currency (largest first).

    Two queries for any number of items; a customer linked by two tickets counts once.
    """
    customers_of: dict[int, set[int]] = {}
    for item_id, customer_id in FeedbackLink.objects.filter(item_id__in=item_ids).values_list(
        "item_id", "customer_id"
    ):
        customers_of.setdefault(item_id, set()).add(customer_id)
    all_customers = set().union(*customers_of.values()) if customers_of else set()
    spent: dict[int, dict[str, Decimal]] = {}
    for customer_id, currency, total in (
        Order.objects.filter(customer_id__in=all_customers)
        .values("customer_id", "currency")
        .annotate(total=Sum("total"))
        .values_list("customer_id", "currency", "total")
    ):
        spent.setdefault(customer_id, {})[currency] = total
    revenue: dict[int, list[dict[str, Any]]] = {}
    for item_id, customer_ids in customers_of.items():
        sums: dict[str, Decimal] = {}
        for customer_id in customer_ids:
            for currency, total in spent.get(customer_id, {}).items():
                sums[currency] = sums.get(currency, Decimal(0)) + total
        revenue[item_id] = [
            {"currency": currency, "total": total}
            for currency, total in sorted(sums.items(), key=lambda pair: -pair[1])
        ]
    return revenue


def feedback_item(*, item_id: int) -> FeedbackItem:
    return get_object_or_404(
        FeedbackItem.objects.annotate(votes=Count("links__customer", distinct=True)),
        pk=item_id,
    )


def item_links(*, item: FeedbackItem) -> QuerySet[FeedbackLink]:
    return item.links.select_related("ticket", "customer", "linked_by").order_by("-created_at")


def item_notified_customer_ids(*, item: FeedbackItem) -> set[int]:
    return set(item.notifications.values_list("customer_id", flat=True))
