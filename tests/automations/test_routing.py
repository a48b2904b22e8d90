"""Routing rules give a new ticket its team and priority, in order, first match wins."""

from __future__ import annotations

import pytest

from automations.models import AutomationRun, RoutingRule, RunKind
from customers.models import Customer, Identity
from tests.factories import UserFactory
from tickets.models import Team, Ticket
from tickets.services import update_ticket
from tickets.signals import ticket_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    return Team.objects.create(name="Billing"), Team.objects.create(name="Returns")


def test_first_matching_rule_sets_team_and_priority(receive, teams):
    billing, returns = teams
    RoutingRule.objects.create(
        name="returns", position=1, keywords=["返品"], set_team=returns, set_priority="high"
    )
    RoutingRule.objects.create(name="email", position=2, channels=["email"], set_team=billing)

    ticket = receive(subject="返品したい", body="サイズが違いました").ticket
    assert (ticket.team, ticket.priority) == (returns, "high")
    run = AutomationRun.objects.get(ticket=ticket)
    assert (run.kind, run.name) == (RunKind.ROUTING, "returns")

    other = receive(subject="請求書", handle="hanako@example.jp").ticket
    assert (other.team, other.priority) == (billing, "normal")


def test_keyword_matches_full_width_and_case_in_the_body(receive, teams):
    billing, _ = teams
    RoutingRule.objects.create(name="invoices", keywords=["invoice"], set_team=billing)
    ticket = receive(subject="質問", body="ＩＮＶＯＩＣＥ を再発行してください").ticket
    assert ticket.team == billing


def test_inactive_rules_and_other_channels_do_not_match(receive, teams):
    billing, _ = teams
    RoutingRule.objects.create(name="off", active=False, set_team=billing)
    RoutingRule.objects.create(name="chat", channels=["chat"], set_priority="urgent")
    ticket = receive().ticket
    assert (ticket.team, ticket.priority) == (None, "normal")
    assert not AutomationRun.objects.exists()


def test_customer_tag_vip_and_language_conditions(receive, teams):
    billing, returns = teams
    vip_customer = Customer.objects.create(
        name="VIP", email="vip@example.jp", vip=True, tags=["Gold"], language="en-GB"
    )
    Identity.objects.create(customer=vip_customer, kind="email", handle="vip@example.jp")
    RoutingRule.objects.create(
        name="gold",
        position=1,
        customer_tags=["gold"],
        vip_only=True,
        languages=["en"],
        set_team=returns,
        set_priority="urgent",
    )
    RoutingRule.objects.create(name="rest", position=2, set_team=billing)

    vip = receive(handle="vip@example.jp").ticket
    assert (vip.team, vip.priority) == (returns, "urgent")
    normal = receive(handle="someone@example.jp").ticket
    assert (normal.team, normal.priority) == (billing, "normal")


def test_routing_is_announced_so_sla_and_inboxes_follow(receive, teams):
    billing, _ = teams
    RoutingRule.objects.create(name="all", set_team=billing, set_priority="high")
    seen = []

    def listen(sender, *, event, changes, **kwargs):
        seen.append((event, changes))

    ticket_changed.connect(listen)
    try:
        receive()
    finally:
        ticket_changed.disconnect(listen)
    assert [event for event, _ in seen] == ["updated", "created"]  # nested inside "created"
    assert seen[0][1] == {"team_id": (None, billing.pk), "priority": ("normal", "high")}


def test_routing_only_runs_on_new_tickets(receive, teams):
    billing, _ = teams
    first = receive(channel="chat", handle="line-user", subject="")
    RoutingRule.objects.create(name="all", set_team=billing)
    receive(channel="chat", handle="line-user", body="まだですか")  # same chat conversation
    assert Ticket.objects.get(pk=first.ticket_id).team is None


def test_an_agent_moving_the_ticket_is_not_overridden(receive, teams):
    billing, returns = teams
    RoutingRule.objects.create(name="all", set_team=billing)
    ticket = receive().ticket
    manager = UserFactory(role="manager")
    ticket = update_ticket(ticket=ticket, actor=manager, team=returns)
    assert Ticket.objects.get(pk=ticket.pk).team == returns
