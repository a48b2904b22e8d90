"""Event automations: conditions, actions, notifications, and the loop guard."""

from __future__ import annotations

import pytest

from automations import engine
from automations.models import Automation, AutomationRun, RunOutcome
from tests.factories import UserFactory
from tickets import realtime
from tickets.models import Status, Team, Ticket
from tickets.services import reply, update_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    events = []
    monkeypatch.setattr(realtime, "_send", events.append)
    return events


def test_created_automation_sets_fields_and_tags_when_conditions_match(receive):
    team = Team.objects.create(name="Shipping")
    Automation.objects.create(
        name="delivery",
        event="created",
        channels=["email"],
        keywords=["届かない", "配送"],
        set_priority="high",
        set_team=team,
        add_tags=["Delivery", "配送"],
    )
    ticket = receive(subject="商品が届かない").ticket
    assert (ticket.priority, ticket.team) == ("high", team)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["delivery", "配送"]
    assert AutomationRun.objects.get(ticket=ticket).name == "delivery"

    unrelated = receive(subject="請求書について", handle="b@example.jp").ticket
    assert (unrelated.priority, unrelated.team) == ("normal", None)


def test_customer_replied_reopens_and_assigns(receive):
    agent = UserFactory(role="agent")
    Automation.objects.create(
        name="back to owner", event="customer_replied", assign_to=agent, set_priority="urgent"
    )
    first = receive(channel="chat", handle="visitor-9", subject="")
    assert first.ticket.assignee is None  # not on creation
    again = receive(channel="chat", handle="visitor-9", body="まだですか？")
    ticket = again.ticket
    assert ticket.pk == first.ticket_id
    assert (ticket.assignee, ticket.priority) == (agent, "urgent")


def test_status_changed_with_status_condition_and_tag_condition(receive):
    agent = UserFactory(role="agent")
    Automation.objects.create(
        name="solved vip",
        event="status_changed",
        statuses=["solved"],
        tags=["vip"],
        add_tags=["vip-solved"],
    )
    ticket = receive().ticket
    update_ticket(ticket=ticket, actor=agent, status=Status.SOLVED)
    assert not ticket.tags.filter(name="vip-solved").exists()  # no vip tag yet
    update_ticket(ticket=ticket, actor=agent, status=Status.OPEN, tags=["vip"])
    update_ticket(ticket=ticket, actor=agent, status=Status.SOLVED)
    assert ticket.tags.filter(name="vip-solved").exists()


def test_agent_reply_changing_status_triggers_status_automations(receive):
    agent = UserFactory(role="agent")
    Automation.objects.create(
        name="pending", event="status_changed", statuses=["pending"], set_priority="low"
    )
    ticket = receive().ticket
    reply(ticket=ticket, author=agent, body_text="確認します")  # new → pending
    assert Ticket.objects.get(pk=ticket.pk).priority == "low"


def test_notify_publishes_to_open_inboxes_after_commit(receive, published):
    Automation.objects.create(
        name="ping", event="created", notify_text="新しい問い合わせ #{{ticket.id}}"
    )
    ticket = receive().ticket
    notes = [event for event in published if event["type"] == "automation.notify"]
    assert notes == [
        {
            "v": 1,
            "type": "automation.notify",
            "ticket": ticket.pk,
            "text": f"新しい問い合わせ #{ticket.pk}",
            "automation": "ping",
        }
    ]


def test_two_automations_that_undo_each_other_do_not_loop(receive):
    agent = UserFactory(role="agent")
    Automation.objects.create(
        name="A", event="status_changed", statuses=["pending"], set_status="open"
    )
    Automation.objects.create(
        name="B", event="status_changed", statuses=["open"], set_status="pending"
    )
    ticket = receive().ticket
    update_ticket(ticket=ticket, actor=agent, status=Status.PENDING)
    names = list(
        AutomationRun.objects.filter(ticket=ticket).order_by("id").values_list("name", flat=True)
    )
    # A reopens it, which triggers B, which would trigger A again: A is already in the chain.
    assert names == ["A", "B"]
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"


def test_runs_per_ticket_are_capped(receive, monkeypatch):
    monkeypatch.setattr(engine, "MAX_RUNS_PER_HOUR", 3)
    agent = UserFactory(role="agent")
    Automation.objects.create(name="tagger", event="status_changed", add_tags=["touched"])
    ticket = receive().ticket
    for status in ["open", "pending", "open", "pending", "open"]:
        update_ticket(ticket=ticket, actor=agent, status=status)
    runs = AutomationRun.objects.filter(ticket=ticket)
    assert runs.filter(outcome=RunOutcome.APPLIED).count() == 3
    assert runs.filter(outcome=RunOutcome.SKIPPED).count() == 2


def test_inactive_automations_and_unrelated_events_do_nothing(receive):
    Automation.objects.create(name="off", event="created", active=False, set_priority="urgent")
    Automation.objects.create(name="later", event="status_changed", set_priority="urgent")
    ticket = receive().ticket
    assert ticket.priority == "normal"
    assert not AutomationRun.objects.exists()


def test_assigning_to_a_deactivated_agent_is_skipped(receive):
    gone = UserFactory(role="agent", is_active=False)
    Automation.objects.create(name="to gone", event="created", assign_to=gone, add_tags=["x"])
    ticket = receive().ticket
    assert ticket.assignee is None
    assert ticket.tags.filter(name="x").exists()
