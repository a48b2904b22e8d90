"""Time automations: firing once, never again until the condition resets, and crash safety."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from automations import engine, timed
from automations.models import (
    Automation,
    AutomationRun,
    RunOutcome,
    TicketClock,
    TimedFiring,
)
from tickets import realtime
from tickets.models import Status, Ticket
from tickets.services import reply, update_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quiet_realtime(monkeypatch):
    monkeypatch.setattr(realtime, "_send", lambda event: None)


def later(**kwargs):
    return timezone.now() + timedelta(**kwargs)


def runs(automation):
    return AutomationRun.objects.filter(
        automation=automation, kind="automation", outcome=RunOutcome.APPLIED
    )


def test_solved_tickets_are_closed_after_four_days_and_only_then(receive, agent):
    close = Automation.objects.create(
        name="close solved",
        event="time",
        time_basis="status",
        time_amount=4,
        time_unit="days",
        statuses=["solved"],
        set_status="closed",
    )
    ticket = receive().ticket
    update_ticket(ticket=ticket, actor=agent, status=Status.SOLVED)

    assert timed.run_time_automations(now=later(days=3, hours=23)) == {close.pk: 0}
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED

    assert timed.run_time_automations(now=later(days=4, minutes=1)) == {close.pk: 1}
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert runs(close).get().event == "time"
    # Closed tickets are never touched again.
    assert timed.run_time_automations(now=later(days=30)) == {close.pk: 0}


def test_pending_reminder_fires_once_and_again_after_the_status_resets(
    receive, agent, django_capture_on_commit_callbacks
):
    remind = Automation.objects.create(
        name="remind",
        event="time",
        time_basis="status",
        time_amount=3,
        time_unit="days",
        statuses=["pending"],
        add_tags=["reminded"],
        reply_text="まだお困りですか？ #{{ticket.id}}",
    )
    ticket = receive(channel="chat", handle="visitor-1").ticket
    reply(ticket=ticket, author=agent, body_text="ご確認ください", status=Status.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        assert timed.run_time_automations(now=later(days=3, minutes=1)) == {remind.pk: 1}
    assert ticket.tags.filter(name="reminded").exists()
    body = ticket.messages.order_by("-id").values_list("body_text", flat=True).first()
    assert body == f"まだお困りですか？ #{ticket.pk}"
    # Next ticks (or a restart) see the recorded firing: no second reminder.
    assert timed.run_time_automations(now=later(days=3, minutes=2)) == {remind.pk: 0}
    assert timed.run_time_automations(now=later(days=9)) == {remind.pk: 0}
    assert runs(remind).count() == 1

    # The customer answers (→ open), the agent asks again (→ pending): a new pending period.
    receive(channel="chat", handle="visitor-1", body="まだです")
    ticket.refresh_from_db()
    reply(ticket=ticket, author=agent, body_text="こちらでいかがですか", status=Status.PENDING)
    assert timed.run_time_automations(now=later(days=2)) == {remind.pk: 0}
    assert timed.run_time_automations(now=later(days=3, minutes=5)) == {remind.pk: 1}
    firing = TimedFiring.objects.get(automation=remind, ticket=ticket)
    assert firing.times == 2


def test_unassigned_tickets_escalate_after_two_hours_assigned_ones_do_not(receive, agent):
    escalate = Automation.objects.create(
        name="escalate",
        event="time",
        time_basis="created",
        time_amount=2,
        time_unit="hours",
        statuses=["new", "open"],
        assignee_is="unassigned",
        set_priority="urgent",
        add_tags=["escalated"],
    )
    waiting = receive(handle="a@example.jp").ticket
    taken = receive(handle="b@example.jp").ticket
    update_ticket(ticket=taken, actor=agent, assignee=agent)

    assert timed.run_time_automations(now=later(hours=1, minutes=59)) == {escalate.pk: 0}
    assert timed.run_time_automations(now=later(hours=2, minutes=1)) == {escalate.pk: 1}
    waiting.refresh_from_db()
    taken.refresh_from_db()
    assert (waiting.priority, taken.priority) == ("urgent", "normal")
    assert list(waiting.tags.values_list("name", flat=True)) == ["escalated"]
    # "Hours since created" never resets: unassigning later does not fire it again.
    update_ticket(ticket=waiting, actor=agent, assignee=agent)
    update_ticket(ticket=waiting, actor=agent, assignee=None)
    assert timed.run_time_automations(now=later(hours=5)) == {escalate.pk: 0}


def test_hours_since_update_ignores_its_own_change_but_resets_on_an_agents(receive, agent):
    stale = Automation.objects.create(
        name="stale",
        event="time",
        time_basis="updated",
        time_amount=48,
        time_unit="hours",
        statuses=["open", "new"],
        set_priority="high",
    )
    ticket = receive().ticket
    assert timed.run_time_automations(now=later(hours=49)) == {stale.pk: 1}
    ticket.refresh_from_db()
    assert ticket.priority == "high"  # its own change moved updated_at ...
    assert timed.run_time_automations(now=later(hours=200)) == {stale.pk: 0}  # ... not a reset

    update_ticket(ticket=ticket, actor=agent, priority="low")
    assert timed.run_time_automations(now=later(hours=47)) == {stale.pk: 0}
    assert timed.run_time_automations(now=later(hours=49)) == {stale.pk: 1}
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_customer_silence_counts_from_the_customers_last_message(receive, agent):
    nudge = Automation.objects.create(
        name="nudge",
        event="time",
        time_basis="customer_message",
        time_amount=2,
        time_unit="days",
        without_tags=["nudged"],
        add_tags=["nudged"],
    )
    ticket = receive(channel="chat", handle="visitor-2").ticket
    clock = TicketClock.objects.get(ticket=ticket)
    assert clock.customer_message_at is not None
    reply(ticket=ticket, author=agent, body_text="確認中です")  # an agent reply is no reset
    assert TicketClock.objects.get(ticket=ticket).agent_reply_at is not None
    assert timed.run_time_automations(now=later(days=2, minutes=1)) == {nudge.pk: 1}
    # The tag it added now excludes the ticket even after the customer writes again.
    receive(channel="chat", handle="visitor-2", body="追記です")
    assert timed.run_time_automations(now=later(days=5)) == {nudge.pk: 0}


def test_sla_due_soon_and_breached(receive):
    soon = Automation.objects.create(
        name="soon",
        event="time",
        time_basis="sla_due_soon",
        time_amount=30,
        time_unit="minutes",
        notify_text="SLA まもなく #{{ticket.id}}",
    )
    breached = Automation.objects.create(
        name="late",
        event="time",
        time_basis="sla_breached",
        time_amount=0,
        time_unit="minutes",
        set_priority="urgent",
    )
    ticket = receive().ticket
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=now + timedelta(minutes=45))
    assert timed.run_time_automations(now=now) == {soon.pk: 0, breached.pk: 0}
    assert timed.run_time_automations(now=now + timedelta(minutes=20)) == {
        soon.pk: 1,
        breached.pk: 0,
    }
    Ticket.objects.filter(pk=ticket.pk).update(sla_breached=True)
    assert timed.run_time_automations(now=now + timedelta(minutes=46)) == {
        soon.pk: 0,
        breached.pk: 1,
    }
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    # A new target (a new due time) resets "due soon".
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_due_at=now + timedelta(hours=3), sla_breached=False
    )
    assert timed.run_time_automations(now=now + timedelta(hours=2, minutes=40))[soon.pk] == 1


def test_other_conditions_are_applied_in_the_query(receive, agent):
    rule = Automation.objects.create(
        name="vip email",
        event="time",
        time_basis="created",
        time_amount=1,
        time_unit="hours",
        channels=["email"],
        priorities=["normal"],
        tags=["vip"],
        add_tags=["vip-waiting"],
    )
    vip = receive(handle="vip@example.jp").ticket
    update_ticket(ticket=vip, actor=agent, tags=["vip"])
    receive(handle="plain@example.jp")  # no tag
    chat = receive(channel="chat", handle="visitor-3").ticket  # another channel
    update_ticket(ticket=chat, actor=agent, tags=["vip"])
    assert list(timed.due_tickets(rule, later(hours=2)).values_list("pk", flat=True)) == [vip.pk]


def test_batches_page_through_a_backlog_over_ticks(receive):
    rule = Automation.objects.create(
        name="backlog",
        event="time",
        time_basis="created",
        time_amount=1,
        time_unit="hours",
        add_tags=["old"],
    )
    for n in range(5):
        receive(handle=f"c{n}@example.jp")
    at = later(hours=2)
    assert timed.run_time_automations(now=at, batch=2, max_batches=1) == {rule.pk: 2}
    assert timed.run_time_automations(now=at, batch=2, max_batches=2) == {rule.pk: 3}
    assert timed.run_time_automations(now=at, batch=2, max_batches=5) == {rule.pk: 0}
    assert TimedFiring.objects.filter(automation=rule).count() == 5


def test_a_recorded_firing_is_never_repeated_by_a_late_or_second_tick(receive):
    rule = Automation.objects.create(
        name="once",
        event="time",
        time_basis="created",
        time_amount=1,
        time_unit="hours",
        set_priority="high",
    )
    ticket = receive().ticket
    at = later(hours=2)
    # Another worker fired and committed between this tick's query and its firing.
    TimedFiring.objects.create(
        automation=rule, ticket=ticket, basis_at=ticket.created_at, fired_at=timezone.now()
    )
    assert timed.fire_on_ticket(rule, ticket.pk, at) is False
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    # The claim itself refuses a moment that is already recorded.
    assert timed._claim(rule.pk, ticket.pk, ticket.created_at, at) is False


def test_firing_record_is_unique_per_automation_and_ticket(receive):
    rule = Automation.objects.create(
        name="u", event="time", time_basis="created", time_amount=1, set_priority="high"
    )
    ticket = receive().ticket
    TimedFiring.objects.create(
        automation=rule, ticket=ticket, basis_at=ticket.created_at, fired_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        TimedFiring.objects.create(
            automation=rule, ticket=ticket, basis_at=later(hours=1), fired_at=timezone.now()
        )


def test_a_crash_inside_the_actions_leaves_nothing_half_done(receive, monkeypatch):
    rule = Automation.objects.create(
        name="boom",
        event="time",
        time_basis="created",
        time_amount=1,
        set_priority="high",
        add_tags=["touched"],
    )
    ticket = receive().ticket

    def explode(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(engine, "render_text", explode)
    rule.notify_text = "x"
    rule.save()
    assert timed.run_time_automations(now=later(hours=2)) == {rule.pk: 0}
    ticket.refresh_from_db()
    # The priority and tag written before the failure were rolled back with it ...
    assert ticket.priority == "normal" and not ticket.tags.exists()
    failed = AutomationRun.objects.get(automation=rule)
    assert failed.outcome == RunOutcome.FAILED
    # ... and the broken firing is recorded, so it is not retried every minute.
    monkeypatch.undo()
    assert timed.run_time_automations(now=later(hours=3)) == {rule.pk: 0}


def test_inactive_and_event_automations_are_not_run_by_the_tick(receive):
    Automation.objects.create(
        name="off",
        event="time",
        active=False,
        time_basis="created",
        time_amount=1,
        set_priority="high",
    )
    Automation.objects.create(name="event", event="created", set_priority="low")
    ticket = receive().ticket
    assert timed.run_time_automations(now=later(hours=5)) == {}
    ticket.refresh_from_db()
    assert ticket.priority == "low"


def test_time_automation_conditions_read_by_event_automations_too(receive):
    """`without_tags` and `assignee_is` are plain conditions for event automations as well."""
    Automation.objects.create(
        name="unassigned new",
        event="created",
        assignee_is="unassigned",
        without_tags=["skip"],
        add_tags=["triage"],
    )
    ticket = receive().ticket
    assert list(ticket.tags.values_list("name", flat=True)) == ["triage"]


def test_the_tick_task_is_scheduled_every_minute():
    from helpdesk.celery import app

    entry = app.conf.beat_schedule["time-automations"]
    assert entry["task"] == "automations.tasks.run_time_automations"
    assert entry["schedule"] == 60.0
