"""Dashboard rollups: kept current by SLA events, rebuilt from the stored measurements, and
the Performance numbers read from them equal the exact per-ticket computation (percentiles
within one histogram bucket)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla import rollups
from sla.models import ClockRollup, HourlyRollup, Metric, RollupDirtyHour, SlaClock, TicketSla
from sla.selectors import Period, performance_report, rollup_reads
from tests.factories import TicketFactory, UserFactory
from tests.sla.conftest import TOKYO, customer_writes, tokyo
from tickets import services
from tickets.models import Team

pytestmark = pytest.mark.django_db

SINCE = dt.datetime(2026, 6, 1, tzinfo=TOKYO)
UNTIL = SINCE + dt.timedelta(days=14)


@pytest.fixture
def always_rollups(monkeypatch):
    monkeypatch.setattr(rollup_reads, "EXACT_LIMIT", -1)


def exact_report(monkeypatch, period):
    with monkeypatch.context() as patch:
        patch.setattr(rollup_reads, "performance_report_from_rollups", lambda period: None)
        return performance_report(period)


@pytest.fixture
def history(db):
    """About 300 measured tickets over three weeks on three channels and two teams, solved by
    three agents, with clocks met and breached (a fixed seed: the same set every run)."""
    chance = random.Random(7)
    teams = [Team.objects.create(name="Tokyo"), Team.objects.create(name="Osaka"), None]
    agents = [UserFactory(role="agent", name=name) for name in ("Aiko", "Ben", "Chie")]
    for _ in range(300):
        created = (
            SINCE - dt.timedelta(days=5) + dt.timedelta(minutes=chance.randrange(0, 60 * 24 * 22))
        )
        channel = chance.choice(["email", "chat", "line"])
        team = chance.choice(teams)
        agent = chance.choice(agents)
        fields = {}
        if chance.random() < 0.8:
            minutes = round(chance.expovariate(1 / 45), 2)
            fields |= {
                "first_reply_at": created + dt.timedelta(minutes=minutes),
                "first_reply_minutes": minutes,
                "first_reply_by_id": agent.pk,
            }
        if chance.random() < 0.6:
            minutes = round(chance.expovariate(1 / 600), 2)
            fields |= {
                "solved_at": created + dt.timedelta(minutes=minutes, hours=chance.randrange(0, 48)),
                "solved_by_id": agent.pk,
                "resolution_minutes": minutes,
                "agent_replies": chance.choice([0, 1, 1, 2, 3]),
                "reopens": chance.choice([0, 0, 0, 1]),
            }
        ticket = TicketFactory(channel=channel, team=team)
        TicketSla.objects.create(
            ticket=ticket,
            channel=channel,
            team_id_snapshot=team.pk if team else None,
            created_at=created,
            **fields,
        )
        for metric in (Metric.FIRST_REPLY, Metric.RESOLUTION):
            due = created + dt.timedelta(hours=chance.randrange(1, 30))
            outcome = chance.random()
            SlaClock.objects.create(
                ticket=ticket,
                metric=metric,
                target_minutes=60,
                started_at=created,
                due_at=due,
                completed_at=None if outcome < 0.2 else due + dt.timedelta(hours=outcome * 4 - 2),
                breached_at=due if outcome < 0.35 or outcome > 0.75 else None,
                cancelled=0.6 < outcome < 0.65,
            )
    return {"teams": teams, "agents": agents}


def within_a_bucket(estimate, exact):
    """The estimate interpolates between two bucket-placed values around the rank, so it is off
    by at most the width of the upper one's bucket (at most the next bucket up from either)."""
    if exact is None:
        return estimate is None
    bounds = rollups.BUCKET_BOUNDS
    bucket = min(max(rollups.bucket_of(exact), rollups.bucket_of(estimate)) + 1, len(bounds) - 1)
    width = bounds[bucket] - bounds[bucket - 1]
    return abs(estimate - exact) <= width


def judged(attainment):
    """The numbers of an attainment row (the exact path also carries its grouping key)."""
    return attainment and {key: attainment[key] for key in ("judged", "met", "rate")}


def assert_same_report(rolled: dict, exact: dict) -> None:
    for key in ("overall", "previous"):
        left, right = rolled[key], exact[key]
        for field in (
            "tickets",
            "solved",
            "one_touch",
            "reopened",
            "one_touch_rate",
            "reopen_rate",
        ):
            assert left[field] == right[field], (key, field)
        assert left["attainment"] == right["attainment"], key
        for measure in ("first_reply", "resolution"):
            assert left[measure]["count"] == right[measure]["count"], (key, measure)
            for stat in ("median", "p90"):
                assert within_a_bucket(left[measure][stat], right[measure][stat]), (
                    key, measure, stat, left[measure][stat], right[measure][stat],
                )  # fmt: skip
    assert rolled["volume_by_channel"] == exact["volume_by_channel"]
    assert rolled["volume_by_hour"] == exact["volume_by_hour"]
    assert rolled["week_grid"] == exact["week_grid"]
    assert rolled["backlog"] == exact["backlog"]
    assert {key: judged(row) for key, row in rolled["attainment_by_metric"].items()} == {
        key: judged(row) for key, row in exact["attainment_by_metric"].items()
    }
    for table in ("by_channel", "by_team", "by_agent"):
        assert [row["key"] for row in rolled[table]] == [row["key"] for row in exact[table]]
        for left, right in zip(rolled[table], exact[table], strict=True):
            assert judged(left["attainment"]) == judged(right["attainment"]), (table, left["key"])
            for measure in ("first_reply", "resolution"):
                if right[measure] is None:
                    assert left[measure] is None
                    continue
                assert left[measure]["count"] == right[measure]["count"]
                assert within_a_bucket(left[measure]["median"], right[measure]["median"])
    assert rolled["changes"]["tickets"] == exact["changes"]["tickets"]


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


def test_the_rollup_report_runs_a_fixed_number_of_queries(history, always_rollups):
    rollups.rebuild_all()
    with CaptureQueriesContext(connection) as small:
        performance_report(Period(since=SINCE, until=SINCE + dt.timedelta(days=1)))
    with CaptureQueriesContext(connection) as large:
        performance_report(Period(since=SINCE, until=UNTIL))
    assert len(small) == len(large) <= 14


def test_small_periods_and_tag_or_agent_filters_stay_exact(history, monkeypatch):
    rollups.rebuild_all()
    period = Period(since=SINCE, until=UNTIL)
    assert rollup_reads.performance_report_from_rollups(period) is None  # ≤ EXACT_LIMIT tickets
    monkeypatch.setattr(rollup_reads, "EXACT_LIMIT", -1)
    agent = history["agents"][0]
    assert rollup_reads.performance_report_from_rollups(Period(SINCE, UNTIL, tag="vip")) is None
    assert (
        rollup_reads.performance_report_from_rollups(Period(SINCE, UNTIL, agent_id=agent.pk))
        is None
    )
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
    return hourly, clocks


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
    assert rollup_reads.estimate_percentile(histogram, 0.5) == pytest.approx(5.0, abs=0.1)
    assert 9 <= rollup_reads.estimate_percentile(histogram, 0.9) <= 10
    assert rollup_reads.estimate_percentile({}, 0.5) is None


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
