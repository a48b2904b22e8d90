"""Building blocks for the NPS tests: customers with a conversation, campaigns, sweeps."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from customers.models import Organization
from feedback.models import CampaignStatus, NpsCampaign
from feedback.services import nps_sending
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory

NPS_LINK = re.compile(r"http://\S+/survey/nps/[^/\s]+/(?:\?score=\d+)?(?=\s|$)")


def customer_with_ticket(*, channel: str = "email", days_ago: int = 0, **fields):
    """A customer who wrote to us once on `channel` (`days_ago` days ago)."""
    customer = CustomerFactory(**fields)
    if channel in ("email", "web"):
        identity = IdentityFactory(customer=customer, kind="email", handle=customer.email)
    else:
        identity = IdentityFactory(customer=customer, kind=channel, handle=f"U{customer.pk:08d}")
    ticket = TicketFactory(customer=customer, identity=identity, channel=channel)
    if days_ago:
        type(ticket).objects.filter(pk=ticket.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return customer


def campaign(**fields) -> NpsCampaign:
    organizations = fields.pop("organizations", [])
    values = {"name": "Q3 NPS", "throttle_per_hour": 6000, "exclude_recent_days": 90}
    item = NpsCampaign.objects.create(**(values | fields))
    if organizations:
        item.organizations.set(organizations)
    return item


def running(**fields) -> NpsCampaign:
    now = timezone.now()
    return campaign(status=CampaignStatus.RUNNING, starts_at=now, started_at=now, **fields)


def sweep(item: NpsCampaign, *, minutes: float = 0) -> int:
    """One beat sweep `minutes` from now; returns how many surveys it sent."""
    return nps_sending.process_campaign(
        campaign_id=item.pk, now=timezone.now() + timedelta(minutes=minutes)
    )


def organization(name: str) -> Organization:
    return Organization.objects.create(name=name)


def nps_links(text: str) -> list[str]:
    return NPS_LINK.findall(text)


def path_of(url: str) -> str:
    return url.split("localhost:8000", 1)[1] if "localhost:8000" in url else url
