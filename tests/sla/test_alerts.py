"""SLA warnings and breaches reach the people who must act: the assignee and the managers of the
ticket's team, each on their own socket, in their own language, once per clock."""

from __future__ import annotations

import pytest

from sla.alerts import alert_recipients
from sla.tick import sla_tick
from tests.factories import UserFactory
from tests.sla.conftest import customer_writes
from tickets.models import Team
from tickets.services import update_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    events = []
    monkeypatch.setattr(
        "tickets.realtime.publish", lambda event_type, **data: events.append((event_type, data))
    )
    return events


@pytest.fixture
def team(db):
    return Team.objects.create(name="Support JP")


def alerts(published):
    return [data for event, data in published if event == "sla.alert"]


def test_warning_and_breach_alert_assignee_and_team_managers_once(clock, policy, published, team):
    agent = UserFactory(role="agent", name="Aiko Agent", language="en")
    lead = UserFactory(role="manager", name="Mika Manager", language="ja")
    boss = UserFactory(role="admin", name="Ada Admin", language="en")
    colleague = UserFactory(role="agent", name="Other Agent")
    elsewhere = UserFactory(role="manager", name="Not In Team")
    gone = UserFactory(role="manager", name="Left", is_active=False)
    team.members.add(agent, lead, boss, colleague, gone)
    ticket = customer_writes()
    update_ticket(ticket=ticket, actor=boss, team=team, assignee=agent)

    clock.set(2026, 6, 10, 10, 48)  # 80 % of the hour to first reply
    sla_tick()
    warned = alerts(published)
    assert [a["user"] for a in warned] == [agent.pk, lead.pk, boss.pk]
    assert {a["ticket"] for a in warned} == {ticket.pk}
    assert not any(a["breached"] for a in warned)
    by_user = {a["user"]: a["text"] for a in warned}
    assert by_user[agent.pk].startswith(f"SLA warning on #{ticket.pk}")
    assert "SLA" in by_user[lead.pk] and by_user[lead.pk] != by_user[agent.pk]  # Japanese
    assert warned[0]["url"] == f"/agent/tickets/{ticket.pk}/"
    assert colleague.pk not in by_user and elsewhere.pk not in by_user and gone.pk not in by_user

    published.clear()
    sla_tick()
    assert alerts(published) == []  # a second tick does not warn again

    clock.set(2026, 6, 10, 11, 1)
    sla_tick()
    breached = alerts(published)
    assert [a["user"] for a in breached] == [agent.pk, lead.pk, boss.pk]
    assert all(a["breached"] for a in breached)
    assert {a["user"]: a["text"] for a in breached}[agent.pk].startswith("SLA breached")


def test_unassigned_ticket_without_team_alerts_nobody_and_managers_are_not_doubled(
    clock, policy, team
):
    ticket = customer_writes()
    assert alert_recipients(ticket) == []
    lead = UserFactory(role="manager")
    team.members.add(lead)
    ticket.team = team
    ticket.assignee = lead
    assert alert_recipients(ticket) == [lead]
