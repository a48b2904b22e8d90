"""Policies match in order; every set condition must hold."""

from __future__ import annotations

import pytest

from customers.models import Organization
from sla.policies import active_policies, policy_for_ticket
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory
from tests.sla.conftest import make_policy
from tickets.models import Team

pytestmark = pytest.mark.django_db


def ticket_for(customer=None, **fields):
    customer = customer or CustomerFactory()
    return TicketFactory(identity=IdentityFactory(customer=customer), **fields)


def test_first_matching_policy_in_order_wins():
    vip = make_policy("VIP", position=5, vip=True)
    chat = make_policy("Chat", position=10, channels=["chat", "line"])
    urgent_mail = make_policy("Urgent mail", position=20, channels=["email"], priorities=["urgent"])
    catch_all = make_policy("Standard", position=100)
    make_policy("Disabled", position=1, active=False)
    policies = active_policies()

    assert policy_for_ticket(ticket_for(channel="line"), policies) == chat
    assert (
        policy_for_ticket(ticket_for(channel="email", priority="urgent"), policies) == urgent_mail
    )
    assert policy_for_ticket(ticket_for(channel="email"), policies) == catch_all
    assert policy_for_ticket(ticket_for(CustomerFactory(vip=True), channel="line"), policies) == vip


def test_position_not_creation_order_decides():
    late = make_policy("Later created, first in order", position=1)
    make_policy("Earlier", position=50)
    late.refresh_from_db()
    assert policy_for_ticket(ticket_for(), active_policies()) == late


def test_team_tag_and_organization_conditions():
    team = Team.objects.create(name="Enterprise")
    org = Organization.objects.create(name="Acme 株式会社")
    by_team = make_policy("Team", position=1)
    by_team.teams.add(team)
    by_org = make_policy("Org", position=2)
    by_org.organizations.add(org)
    by_tag = make_policy("Tag", position=3, customer_tags=["Gold"])
    fallback = make_policy("Rest", position=9)
    policies = active_policies()

    assert policy_for_ticket(ticket_for(team=team), policies) == by_team
    assert policy_for_ticket(ticket_for(CustomerFactory(organization=org)), policies) == by_org
    assert policy_for_ticket(ticket_for(CustomerFactory(tags=["gold", "x"])), policies) == by_tag
    assert policy_for_ticket(ticket_for(CustomerFactory(tags=["silver"])), policies) == fallback


def test_all_conditions_must_hold_and_no_policy_is_none():
    make_policy("Chat VIP", channels=["chat"], vip=True)
    policies = active_policies()
    assert policy_for_ticket(ticket_for(channel="chat"), policies) is None
    assert (
        policy_for_ticket(ticket_for(CustomerFactory(vip=True), channel="email"), policies) is None
    )
    non_vip = make_policy("Non-VIP only", position=200, vip=False)
    assert policy_for_ticket(ticket_for(channel="chat"), active_policies()) == non_vip
