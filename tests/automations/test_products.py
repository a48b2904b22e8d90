"""Product skills: tickets get a product's tag; teams prefer or require skilled agents."""

from __future__ import annotations

import pytest

from automations.models import (
    AgentSkills,
    AutomationRun,
    Product,
    RoutingRule,
    RunOutcome,
    TeamAssignment,
)
from tests.factories import UserFactory
from tickets import presence
from tickets.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    team = Team.objects.create(name="Support")
    RoutingRule.objects.create(name="everything", set_team=team, position=90)
    return team


@pytest.fixture
def pos():
    return Product.objects.create(name="POS レジ", tag="pos", keywords=["レジ", "ＰＯＳ"])


def member(team, products=(), **kwargs):
    user = UserFactory(role="agent", **kwargs)
    team.members.add(user)
    presence.touch_online(user.pk)
    skills = AgentSkills.objects.create(user=user)
    skills.products.set(products)
    return user


def tags(ticket):
    return sorted(ticket.tags.values_list("name", flat=True))


def test_product_keywords_tag_a_new_ticket(receive, pos):
    Product.objects.create(name="Off", tag="off", keywords=["レジ"], active=False)
    ticket = receive(subject="レジが動きません").ticket
    assert tags(ticket) == ["pos"]
    # Full-width ＰＯＳ in the product matches half-width pos in the message.
    assert tags(receive(handle="b@example.jp", body="pos terminal is down").ticket) == ["pos"]
    assert tags(receive(handle="c@example.jp", subject="請求書").ticket) == []


def test_a_routing_rule_sets_the_product(receive, team):
    app = Product.objects.create(name="App", tag="app")
    RoutingRule.objects.create(name="app", keywords=["アプリ"], set_product=app, position=10)
    ticket = receive(subject="アプリが落ちる").ticket
    assert tags(ticket) == ["app"]
    run = AutomationRun.objects.get(ticket=ticket, kind="routing")
    assert "App" in run.detail


def test_require_assigns_only_skilled_agents(receive, team, pos):
    TeamAssignment.objects.create(team=team, mode="round_robin", match_product="require")
    member(team)  # online, no skill
    skilled = member(team, products=[pos])
    assert receive(subject="レジ").ticket.assignee == skilled
    # Tickets without a product go to anyone.
    assert receive(handle="x@example.jp", subject="請求書").ticket.assignee is not None


def test_require_leaves_the_ticket_unassigned_when_nobody_skilled_is_online(receive, team, pos):
    TeamAssignment.objects.create(team=team, mode="round_robin", match_product="require")
    member(team)
    ticket = receive(subject="レジ").ticket
    assert ticket.assignee is None
    run = AutomationRun.objects.get(ticket=ticket, kind="assignment")
    assert run.outcome == RunOutcome.SKIPPED
    assert run.detail == "Nobody online with the product skill has room."


def test_prefer_falls_back_to_anyone(receive, team, pos):
    TeamAssignment.objects.create(team=team, mode="least_loaded", match_product="prefer")
    plain = member(team)
    assert receive(subject="レジ").ticket.assignee == plain
    skilled = member(team, products=[pos])
    assert receive(handle="y@example.jp", subject="レジ").ticket.assignee == skilled


def test_ignore_does_not_look_at_products(receive, team, pos):
    TeamAssignment.objects.create(team=team, mode="round_robin")
    plain = member(team)
    assert receive(subject="レジ").ticket.assignee == plain
