"""Automatic assignment: online team members with room, round robin or least loaded."""

from __future__ import annotations

import pytest

from automations.models import (
    AgentCapacity,
    AgentSkills,
    AutomationRun,
    RoutingRule,
    RunOutcome,
    TeamAssignment,
)
from customers.models import Customer, Identity
from tests.factories import TicketFactory, UserFactory
from tickets import presence
from tickets.models import Team
from tickets.services import update_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    team = Team.objects.create(name="Support")
    RoutingRule.objects.create(name="everything", set_team=team)
    return team


def member(team, **kwargs):
    user = UserFactory(**kwargs)
    team.members.add(user)
    presence.touch_online(user.pk)
    return user


def test_round_robin_takes_turns_among_online_members(receive, team):
    TeamAssignment.objects.create(team=team, mode="round_robin")
    a, b = member(team), member(team)
    offline = UserFactory()
    team.members.add(offline)

    owners = [receive(handle=f"c{i}@example.jp").ticket.assignee for i in range(4)]
    assert owners == [a, b, a, b]


def test_least_loaded_picks_the_agent_with_fewest_open_tickets(receive, team):
    TeamAssignment.objects.create(team=team, mode="least_loaded")
    busy, free = member(team), member(team)
    TicketFactory.create_batch(2, assignee=busy, status="open")
    TicketFactory(assignee=free, status="solved")  # solved work is not load

    assert receive().ticket.assignee == free


def test_capacity_per_channel_is_respected(receive, team):
    TeamAssignment.objects.create(team=team, mode="round_robin")
    agent = member(team)
    AgentCapacity.objects.create(user=agent, channel="email", max_open=1)
    TicketFactory(assignee=agent, status="open", channel="email")
    TicketFactory.create_batch(3, assignee=agent, status="open", channel="chat")  # other channel

    ticket = receive().ticket
    assert ticket.assignee is None  # stays unassigned for anyone to take
    run = AutomationRun.objects.get(ticket=ticket, kind="assignment")
    assert (run.outcome, run.detail) == (RunOutcome.SKIPPED, "Everyone online is at capacity.")


def test_default_chat_capacity_is_three(receive, team):
    TeamAssignment.objects.create(team=team, mode="round_robin")
    agent = member(team)
    TicketFactory.create_batch(3, assignee=agent, status="open", channel="chat")
    assert receive(channel="chat", handle="visitor-1", subject="").ticket.assignee is None


def test_nobody_online_leaves_it_unassigned(receive, team):
    TeamAssignment.objects.create(team=team, mode="round_robin")
    team.members.add(UserFactory())
    ticket = receive().ticket
    assert ticket.assignee is None
    assert (
        AutomationRun.objects.get(ticket=ticket, kind="assignment").detail
        == "Nobody in the team is online."
    )


def test_light_agents_and_inactive_policies_get_nothing(receive, team):
    policy = TeamAssignment.objects.create(team=team, mode="round_robin")
    member(team, role="light_agent")
    assert receive().ticket.assignee is None
    policy.active = False
    policy.save()
    member(team)
    assert receive(handle="x@example.jp").ticket.assignee is None


def test_language_skill_is_matched_when_the_team_asks(receive, team):
    TeamAssignment.objects.create(team=team, mode="round_robin", match_language=True)
    japanese, english = member(team), member(team)
    AgentSkills.objects.create(user=japanese, languages=["ja"])
    AgentSkills.objects.create(user=english, languages=["en", "ja"])
    customer = Customer.objects.create(name="Ann", language="en")
    Identity.objects.create(customer=customer, kind="email", handle="ann@example.com")

    assert receive(handle="ann@example.com").ticket.assignee == english


def test_moving_an_unassigned_ticket_to_a_team_assigns_it(receive):
    team = Team.objects.create(name="Tier 2")
    TeamAssignment.objects.create(team=team)
    agent = member(team)
    ticket = receive().ticket
    assert ticket.assignee is None
    manager = UserFactory(role="manager")
    ticket = update_ticket(ticket=ticket, actor=manager, team=team)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
