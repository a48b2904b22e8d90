"""Dashboard rollups: kept current by SLA events, rebuilt from the stored measurements, and
the Performance numbers read from them equal the exact per-ticket computation (percentiles
within one histogram bucket)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla import rollups
from sla.histograms import estimate_percentile
from sla.models import (
    AgentDailyRollup,
    ClockRollup,
    DailyRollup,
    HourlyRollup,
    RollupDirtyHour,
)
from sla.selectors import Period, daily_reads, performance_report, rollup_reads
from tests.sla.conftest import customer_writes, tokyo
from tests.sla.rollup_history import (
    SINCE,
    UNTIL,
    assert_same_report,
    build_history,
    exact_report,
)
from tickets import services
from tickets.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def always_rollups(monkeypatch):
    monkeypatch.setattr(rollup_reads, "EXACT_LIMIT", -1)


@pytest.fixture
def history(db):
    return build_history()


def test_rollup_numbers_equal_the_exact_computation(history, always_rollups, monkeypatch):
    rollups.rebuild_all()
    tokyo_team = history["teams"][0]

    for period in (
        Period(since=SINCE, until=UNTIL),
        Period(since=SINCE, until=UNTIL, channel="chat"),
        Period(since=SINCE, until=UNTIL, team_id=tokyo_team.pk),
    ):
        rolled = performance_report(period)
        assert rolled["overall"]["tickets"] > 0
        assert_same_report(rolled, exact_report(monkeypatch, period))


def test_the_rollup_report_runs_a_fixed_number_of_queries(history, always_rollups, monkeypatch):
    rollups.rebuild_all()
    monkeypatch.setattr(daily_reads, "performance_report_from_days", lambda period: None)
    with CaptureQueriesContext(connection) as small:
        performance_report(Period(since=SINCE, until=SINCE + dt.timedelta(days=1)))
    with CaptureQueriesContext(connection) as large:
        performance_report(Period(since=SINCE, until=UNTIL))
    assert len(small) == len(large) <= 14


def test_small_periods_stay_exact_unless_filtered_by_tag_or_agent(history, monkeypatch):
    rollups.rebuild_all()
    period = Period(since=SINCE, until=UNTIL)
    assert rollup_reads.performance_report_from_rollups(period) is None  # ≤ EXACT_LIMIT tickets
    # With a tag or agent filter the exact path has no index to narrow it: rollups answer.
    agent = history["agents"][0]
    assert rollup_reads.performance_report_from_rollups(Period(SINCE, UNTIL, tag="vip")) is not None
    assert (
        rollup_reads.performance_report_from_rollups(Period(SINCE, UNTIL, agent_id=agent.pk))
        is not None
    )
    monkeypatch.setattr(rollup_reads, "EXACT_LIMIT", -1)
    assert rollup_reads.performance_report_from_rollups(period) is not None


def rollup_rows():
    hourly = sorted(
        HourlyRollup.objects.values_list(
            "hour", "channel", "team_id", "agent_id", "created", "first_replies", "solved",
            "resolutions", "one_touch", "reopened", "first_reply_buckets", "resolution_buckets",
        )
    )  # fmt: skip
    clocks = sorted(
        ClockRollup.objects.values_list("hour", "channel", "team_id", "metric", "met", "breached")
    )
    daily = sorted(
        DailyRollup.objects.values_list(
            "day", "channel", "team_id", "created", "created_by_hour", "first_replies", "solved",
            "resolutions", "first_reply_buckets", "resolution_buckets", "csat_responses",
        )
    )  # fmt: skip
    agents = sorted(
        AgentDailyRollup.objects.values_list(
            "day", "channel", "team_id", "agent_id", "first_replies", "resolutions",
            "first_reply_buckets", "resolution_buckets", "csat_responses",
        )
    )  # fmt: skip
    return hourly, clocks, daily, agents


def test_events_keep_rollups_current_and_equal_to_a_rebuild(clock, policy, agent, monkeypatch):
    monkeypatch.setattr("tickets.outbound.can_send", lambda channel: True)
    monkeypatch.setattr("tickets.outbound.send", lambda message: None)
    team = Team.objects.create(name="Support")
    first = customer_writes()  # Wed 10:00 Tokyo
    clock.set(2026, 6, 10, 10, 20)
    services.reply(ticket=first, author=agent, body_text="確認します")
    second = customer_writes(channel="web")
    clock.set(2026, 6, 10, 13, 5)  # the first reply of the second ticket comes late
    services.reply(ticket=second, author=agent, body_text="お待たせしました")
    services.update_ticket(ticket=first, actor=agent, team=team)
    services.update_ticket(ticket=first, actor=agent, status="solved")
    assert RollupDirtyHour.objects.exists()

    assert rollups.process_dirty_hours() > 0
    assert not RollupDirtyHour.objects.exists()
    incremental = rollup_rows()
    created = sum(row[4] for row in incremental[0])
    assert created == 2 and sum(row[6] for row in incremental[0]) == 1
    assert {(row[3], row[4], row[5]) for row in incremental[1]} == {
        ("first_reply", 1, 0),
        ("first_reply", 0, 1),
        ("resolution", 1, 0),
    }

    # The customer writes again: the solved ticket reopens, leaving its solve hour.
    clock.set(2026, 6, 11, 9, 30)
    customer_writes("まだ直りません", ticket=first)
    rollups.process_dirty_hours()
    assert sum(row[6] for row in rollup_rows()[0]) == 0
    after_events = rollup_rows()
    assert sum(row[3] for row in after_events[2]) == 2  # two tickets created, by day
    assert sum(row[6] for row in after_events[2]) == 0  # the reopened one is no longer solved

    call_command("rebuild_rollups", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert rollup_rows() == after_events
    call_command("rebuild_rollups", "--since", "2026-06-10", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert rollup_rows() == after_events


def test_a_failed_rebuild_keeps_the_marks_for_the_next_run(clock, policy, monkeypatch):
    customer_writes()
    marks = RollupDirtyHour.objects.count()

    def broken(since, until):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rollups, "rebuild_hours", broken)
    with pytest.raises(RuntimeError):
        rollups.process_dirty_hours()
    assert RollupDirtyHour.objects.count() == marks > 0
    monkeypatch.undo()


def test_rebuild_rollups_refuses_a_bad_date():
    with pytest.raises(CommandError, match="--since"):
        call_command("rebuild_rollups", "--since", "last tuesday")


def test_percentile_estimate_is_percentile_cont_on_bucket_midpoints():
    # Ten values in bucket 0 (0–1 min) and ten in bucket 9 (9–10 min).
    histogram = {0: 10, 9: 10}
    assert rollups.bucket_of(0.5) == 0 and rollups.bucket_of(9.2) == 9
    assert rollups.bucket_of(10**6) == len(rollups.BUCKET_BOUNDS) - 1
    # rank 9.5: halfway between the last value of bucket 0 (0.95) and the first of 9 (9.05)
    assert estimate_percentile(histogram, 0.5) == pytest.approx(5.0, abs=0.1)
    assert 9 <= estimate_percentile(histogram, 0.9) <= 10
    assert estimate_percentile({}, 0.5) is None


def test_tick_breaches_mark_the_due_hour(clock, policy):
    customer_writes()
    rollups.process_dirty_hours()
    clock.set(2026, 6, 10, 11, 5)
    from sla.tick import sla_tick

    sla_tick()
    assert list(RollupDirtyHour.objects.values_list("hour", flat=True)) == [
        tokyo(2026, 6, 10, 11, 0).astimezone(dt.UTC)
    ]
    rollups.process_dirty_hours()
    assert list(ClockRollup.objects.values_list("metric", "met", "breached")) == [
        ("first_reply", 0, 1)
    ]
