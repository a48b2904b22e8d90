"""SLA state follows real ticket writes: receive_message, reply, update_ticket."""

from __future__ import annotations

import pytest

from sla.models import Metric, SlaClock, TicketSla
from sla.services import sla_refresh_open_tickets
from tests.sla.conftest import customer_writes, make_policy, tokyo
from tickets.models import Status, Team
from tickets.services import reply, update_ticket

pytestmark = pytest.mark.django_db


def clocks(ticket, metric=None):
    rows = SlaClock.objects.filter(ticket=ticket).order_by("started_at", "id")
    return list(rows.filter(metric=metric) if metric else rows)


def running(ticket, metric):
    return SlaClock.objects.get(ticket=ticket, metric=metric, completed_at__isnull=True)


def test_new_ticket_gets_first_reply_and_resolution_due_in_business_time(clock, policy):
    clock.set(2026, 6, 10, 17, 30)  # Wednesday, 30 minutes before closing
    ticket = customer_writes()

    first = running(ticket, Metric.FIRST_REPLY)
    assert first.due_at == tokyo(2026, 6, 11, 9, 30)
    assert running(ticket, Metric.RESOLUTION).due_at == tokyo(2026, 6, 12, 9, 30)
    # The ticket row carries the nearest target for the inbox lists.
    assert ticket.sla_target == "first_reply"
    assert ticket.sla_due_at == tokyo(2026, 6, 11, 9, 30)
    assert ticket.sla_breached is False
    state = TicketSla.objects.get(ticket=ticket)
    assert state.policy == policy and state.calendar == policy.calendar


def test_agent_reply_meets_first_reply_and_measures_business_minutes(clock, policy, agent):
    clock.set(2026, 6, 12, 17, 50)  # Friday evening
    ticket = customer_writes()
    clock.set(2026, 6, 15, 9, 20)  # Monday morning: 10 + 20 business minutes
    reply(ticket=ticket, author=agent, body_text="お待たせしました")

    first = clocks(ticket, Metric.FIRST_REPLY)[0]
    assert first.completed_at is not None and first.met
    assert first.business_minutes == 30
    state = TicketSla.objects.get(ticket=ticket)
    assert state.first_reply_minutes == 30
    assert state.first_reply_by_id == agent.pk
    assert state.agent_replies == 1


def test_late_reply_is_recorded_as_breached(clock, policy, agent):
    ticket = customer_writes()  # Wed 10:00, due 11:00
    clock.set(2026, 6, 10, 11, 30)
    reply(ticket=ticket, author=agent, body_text="遅くなりました")

    first = clocks(ticket, Metric.FIRST_REPLY)[0]
    assert first.breached_at == tokyo(2026, 6, 10, 11, 0)
    assert not first.met and not first.cancelled
    assert first.business_minutes == 90


def test_customer_follow_up_starts_next_reply_and_pending_pauses_resolution(clock, policy, agent):
    ticket = customer_writes()  # Wed 10:00
    clock.set(2026, 6, 10, 10, 30)
    reply(ticket=ticket, author=agent, body_text="確認します")  # → pending: paused
    resolution = running(ticket, Metric.RESOLUTION)
    assert resolution.paused_at is not None and resolution.due_at is None
    ticket.refresh_from_db()
    assert ticket.sla_target == ""  # nothing is running while we wait on the customer

    clock.set(2026, 6, 11, 10, 30)  # the customer answers a business day (540 min) later
    ticket = customer_writes("まだ届きません", ticket=ticket)
    assert ticket.status == Status.OPEN
    next_reply = running(ticket, Metric.NEXT_REPLY)
    assert next_reply.due_at == tokyo(2026, 6, 11, 12, 30)
    resolution = running(ticket, Metric.RESOLUTION)
    assert resolution.paused_at is None
    assert resolution.paused_minutes == 540
    # 600 target + 540 paused from Wed 10:00 → Fri 11:00
    assert resolution.due_at == tokyo(2026, 6, 12, 11, 0)
    assert ticket.sla_target == "next_reply"

    clock.set(2026, 6, 11, 11, 0)
    reply(ticket=ticket, author=agent, body_text="発送しました", status=Status.SOLVED)
    done = clocks(ticket, Metric.NEXT_REPLY)[0]
    assert done.met and done.business_minutes == 30
    resolution = clocks(ticket, Metric.RESOLUTION)[0]
    assert resolution.met
    assert resolution.business_minutes == 60  # 30 before pending + 30 after
    state = TicketSla.objects.get(ticket=ticket)
    assert state.resolution_minutes == 60
    assert state.solved_by_id == agent.pk
    ticket.refresh_from_db()
    assert ticket.sla_target == "" and ticket.sla_due_at is None


def test_reopen_continues_the_resolution_clock_without_counting_solved_time(clock, policy, agent):
    ticket = customer_writes()  # Wed 10:00
    clock.set(2026, 6, 10, 11, 0)
    reply(ticket=ticket, author=agent, body_text="解決しました", status=Status.SOLVED)
    clock.set(2026, 6, 11, 11, 0)
    ticket = customer_writes("やはり問題があります", ticket=ticket)

    resolution = running(ticket, Metric.RESOLUTION)
    assert len(clocks(ticket, Metric.RESOLUTION)) == 1  # the same run continues
    assert resolution.paused_minutes == 540
    assert resolution.due_at == tokyo(2026, 6, 12, 11, 0)  # 60 used, 540 left
    state = TicketSla.objects.get(ticket=ticket)
    assert state.reopens == 1 and state.solved_at is None
    assert running(ticket, Metric.NEXT_REPLY).started_at == tokyo(2026, 6, 11, 11, 0)


def test_solved_without_any_reply_cancels_first_reply(clock, policy, agent):
    ticket = customer_writes()
    update_ticket(ticket=ticket, actor=agent, status=Status.SOLVED)
    first = clocks(ticket, Metric.FIRST_REPLY)[0]
    assert first.cancelled and first.completed_at is not None


def test_priority_change_re_aims_the_running_clocks(clock, office, agent):
    make_policy(
        calendar=office,
        targets={
            "normal": {"first_reply": 240},
            "urgent": {"first_reply": 30},
        },
    )
    ticket = customer_writes()
    assert running(ticket, Metric.FIRST_REPLY).due_at == tokyo(2026, 6, 10, 14, 0)
    update_ticket(ticket=ticket, actor=agent, priority="urgent")
    first = running(ticket, Metric.FIRST_REPLY)
    assert first.target_minutes == 30
    assert first.due_at == tokyo(2026, 6, 10, 10, 30)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == tokyo(2026, 6, 10, 10, 30)


def test_on_hold_owes_periodic_updates(clock, policy, agent):
    ticket = customer_writes()
    update_ticket(ticket=ticket, actor=agent, status=Status.ON_HOLD)
    periodic = running(ticket, Metric.PERIODIC_UPDATE)
    assert periodic.due_at == tokyo(2026, 6, 10, 14, 0)
    clock.set(2026, 6, 10, 13, 0)
    reply(ticket=ticket, author=agent, body_text="進捗のご報告です", status=Status.ON_HOLD)
    runs = clocks(ticket, Metric.PERIODIC_UPDATE)
    assert runs[0].met
    assert runs[1].completed_at is None and runs[1].due_at == tokyo(2026, 6, 10, 17, 0)
    update_ticket(ticket=ticket, actor=agent, status=Status.OPEN)
    assert clocks(ticket, Metric.PERIODIC_UPDATE)[1].cancelled


def test_internal_note_changes_nothing(clock, policy, agent):
    ticket = customer_writes()
    before = list(SlaClock.objects.filter(ticket=ticket).values())
    reply(ticket=ticket, author=agent, body_text="memo", internal=True)
    assert list(SlaClock.objects.filter(ticket=ticket).values()) == before
    assert TicketSla.objects.get(ticket=ticket).agent_replies == 0


def test_no_policy_still_measures_for_reports(clock, agent):
    ticket = customer_writes()
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    clock.set(2026, 6, 10, 10, 45)
    reply(ticket=ticket, author=agent, body_text="hi")
    # No calendar at all: the clock runs around the clock.
    assert TicketSla.objects.get(ticket=ticket).first_reply_minutes == 45


def test_policy_edit_is_applied_to_open_tickets(clock, policy, agent):
    ticket = customer_writes()
    target = policy.targets.get(metric="first_reply")
    target.minutes = 30
    target.save()
    assert sla_refresh_open_tickets() == 1
    assert running(ticket, Metric.FIRST_REPLY).due_at == tokyo(2026, 6, 10, 10, 30)


def test_team_calendar_wins_over_the_policy_calendar(clock, policy, agent, office):
    from sla.models import BusinessCalendar, BusinessHours

    night = BusinessCalendar.objects.create(name="Night", time_zone="Asia/Tokyo")
    BusinessHours.objects.create(calendar=night, weekday=2, start_minute=1320, end_minute=360)
    team = Team.objects.create(name="Night shift")
    night.teams.add(team)
    ticket = customer_writes()  # Wed 10:00
    update_ticket(ticket=ticket, actor=agent, team=team)
    # Night hours start at 22:00: 60 minutes later is 23:00.
    assert running(ticket, Metric.FIRST_REPLY).due_at == tokyo(2026, 6, 10, 23, 0)
    assert TicketSla.objects.get(ticket=ticket).calendar == night
