"""Organizations: the list with member counts, and one organization's shared view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Window
from django.shortcuts import get_object_or_404

from ..models import Customer, Organization
from .rows import related_model as _related_model

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
