"""The minute tick: warn at 80 %, mark breaches once, escalate as the policy says."""

from __future__ import annotations

import pytest

from sla.models import Metric, SlaClock
from sla.tick import AUTOMATION_EMAIL, sla_tick
from tests.sla.conftest import customer_writes, make_policy, tokyo
from tickets.models import Team
from tickets.selectors import assignable_agents

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    events = []
    monkeypatch.setattr(
        "tickets.realtime.publish", lambda event_type, **data: events.append((event_type, data))
    )
    return events


def first_reply(ticket):
    return SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_REPLY)


def test_warns_at_80_percent_then_breaches_once(clock, policy, published, agent):
    ticket = customer_writes()  # Wed 10:00, first reply due 11:00, warn 10:48
    clock.set(2026, 6, 10, 10, 47)
    assert sla_tick()["warned"] == 0
    clock.set(2026, 6, 10, 10, 48)
    assert sla_tick() == {"warned": 1, "breached": 0}
    assert published[-1][0] == "sla.warning"
    assert published[-1][1]["ticket"] == ticket.pk
    assert published[-1][1]["metric"] == "first_reply"
    assert sla_tick()["warned"] == 0  # once

    clock.set(2026, 6, 10, 11, 1)
    assert sla_tick()["breached"] == 1
    assert published[-1][0] == "sla.breached"
    assert first_reply(ticket).breached_at == tokyo(2026, 6, 10, 11, 0)
    ticket.refresh_from_db()
    assert ticket.sla_breached is True
    assert sla_tick()["breached"] == 0


def test_paused_clocks_never_breach(clock, policy, published, agent):
    from tickets.services import update_ticket

    ticket = customer_writes()
    update_ticket(ticket=ticket, actor=agent, status="pending")
    clock.set(2026, 6, 20, 10, 0)
    assert sla_tick() == {"warned": 0, "breached": 0}


def test_breach_escalates_priority_and_team_through_the_ticket_service(clock, office, published):
    escalation = Team.objects.create(name="Escalations")
    make_policy(
        calendar=office,
        escalate_priority="urgent",
        escalate_team=escalation,
        targets={"normal": {"first_reply": 60}, "urgent": {"first_reply": 30}},
    )
    ticket = customer_writes()
    clock.set(2026, 6, 10, 11, 5)
    sla_tick()
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert ticket.team == escalation
    assert any(event == "ticket.updated" for event, _ in published)
    # The urgent target now applies and is long past: still breached, not escalated twice.
    clock.set(2026, 6, 10, 11, 10)
    sla_tick()
    assert SlaClock.objects.filter(ticket=ticket, escalated_at__isnull=False).count() == 1
    # The automation account acts, but is never offered as an assignee.
    assert not assignable_agents().filter(email=AUTOMATION_EMAIL).exists()


def test_escalation_never_lowers_priority(clock, office, published, agent):
    from tickets.services import update_ticket

    make_policy(calendar=office, escalate_priority="high", targets={"urgent": {"first_reply": 60}})
    ticket = customer_writes()
    update_ticket(ticket=ticket, actor=agent, priority="urgent")
    clock.set(2026, 6, 10, 12, 0)
    sla_tick()
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
