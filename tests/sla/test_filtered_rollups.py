"""Agent and tag filters of the Performance report answered from rollups: the day rows, the
hourly rows and the exact per-ticket computation give the same numbers (percentiles within a
bucket), and tag or assignee changes reach the rollups through the ticket events."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from sla import rollup_days, rollups
from sla.models import (
    RollupDirtyHour,
    TagDailyRollup,
    TagDayTotal,
    TagHourlyRollup,
    TicketSla,
)
from sla.selectors import Period, daily_reads, performance_report, rollup_reads
from tests.factories import UserFactory
from tests.sla.rollup_history import (
    SINCE,
    UNTIL,
    assert_same_report,
    build_history,
    exact_report,
    hourly_report,
    tag_history,
)
from tickets import services
from tickets.models import Tag

pytestmark = pytest.mark.django_db


ORDERS = ("ticket_id", "-first_reply_minutes", "shuffled")


@pytest.fixture
def tagged(db):
    """The rollup tests' history with 0–2 tags, an assignee and now and then a rating per
    ticket (a fixed seed, drawn in ticket order)."""
    return tag_history(build_history(), "ticket_id")


@pytest.fixture(params=ORDERS)
def tagged_in_order(db, request):
    """The same, drawn in other orders: which ticket gets which tags, assignee and rating
    changes, and with it which tickets share a tag × agent × channel row (the tag 'vip' and
    Ben once showed two channels with equal counts in different orders on each grain)."""
    return tag_history(build_history(), request.param)


def filtered_periods(tagged):
    agent, other, team = tagged["agents"][0], tagged["agents"][1], tagged["teams"][0]
    return (
        Period(SINCE, UNTIL, agent_id=agent.pk),
        Period(SINCE, UNTIL, tag="vip"),
        Period(SINCE, UNTIL, tag="返品", channel="chat"),
        Period(SINCE, UNTIL, agent_id=agent.pk, team_id=team.pk),
        Period(SINCE, UNTIL, tag="vip", agent_id=other.pk),
        # Every other combination of the filters a manager can pick together.
        Period(SINCE, UNTIL, tag="vip", team_id=team.pk),
        Period(SINCE, UNTIL, agent_id=other.pk, channel="email"),
        Period(SINCE, UNTIL, tag="vip", agent_id=other.pk, channel="line"),
        Period(SINCE, UNTIL, tag="bug", agent_id=agent.pk, team_id=team.pk),
        Period(SINCE, UNTIL, tag="返品", agent_id=other.pk, team_id=team.pk, channel="chat"),
    )


def assert_csat_equal(rolled: dict, exact: dict) -> None:
    assert rolled["csat"] == exact["csat"]
    assert rolled["previous_csat"] == exact["previous_csat"]
    for table in ("by_channel", "by_team", "by_agent"):
        assert [(row["key"], row["csat"]) for row in rolled[table]] == [
            (row["key"], row["csat"]) for row in exact[table]
        ], table


def test_agent_and_tag_filters_read_day_rows_equal_to_hourly_rows_and_exact(
    tagged_in_order, monkeypatch
):
    for period in filtered_periods(tagged_in_order):
        assert daily_reads.performance_report_from_days(period) is not None, period
        from_days = performance_report(period)
        assert from_days["overall"]["tickets"] > 0, period
        assert from_days == hourly_report(monkeypatch, period), period
        exact = exact_report(monkeypatch, period)
        assert_same_report(from_days, exact)
        assert_csat_equal(from_days, exact)


def test_an_agent_filter_shows_that_agents_work_only(tagged, monkeypatch):
    agent = tagged["agents"][0]
    report = performance_report(Period(SINCE, UNTIL, agent_id=agent.pk))
    assert [row["key"] for row in report["by_agent"]] == [agent.pk]
    answered = TicketSla.objects.filter(
        first_reply_by_id=agent.pk, created_at__gte=SINCE, created_at__lt=UNTIL
    ).count()
    solved = TicketSla.objects.filter(
        solved_by_id=agent.pk, solved_at__gte=SINCE, solved_at__lt=UNTIL
    ).count()
    assert report["overall"]["tickets"] == answered
    assert report["overall"]["solved"] == solved
    # The whole team's report (from the rollups too) holds the agent's row, the same numbers.
    monkeypatch.setattr(rollup_reads, "EXACT_LIMIT", -1)
    everyone = performance_report(Period(SINCE, UNTIL))
    mine = next(row for row in everyone["by_agent"] if row["key"] == agent.pk)
    assert report["by_agent"][0]["first_reply"] == mine["first_reply"]
    assert report["by_agent"][0]["resolution"] == mine["resolution"]


def test_a_tag_filter_counts_the_tickets_tagged_now(tagged):
    vip = Tag.objects.get(name="vip")
    tagged_now = TicketSla.objects.filter(
        ticket__tags=vip, created_at__gte=SINCE, created_at__lt=UNTIL
    ).count()
    report = performance_report(Period(SINCE, UNTIL, tag="vip"))
    assert report["overall"]["tickets"] == tagged_now > 0
    nothing = performance_report(Period(SINCE, UNTIL, tag="no-such-tag"))
    assert nothing["overall"]["tickets"] == 0 and nothing["by_agent"] == []


def test_filtered_reports_read_rollups_only_in_a_fixed_number_of_queries(tagged):
    for period in filtered_periods(tagged):
        with CaptureQueriesContext(connection) as week:
            performance_report(Period(**{**vars(period), "until": SINCE + dt.timedelta(days=7)}))
        with CaptureQueriesContext(connection) as fortnight:
            performance_report(period)
        assert len(week) == len(fortnight) <= 12
        sql = " ".join(query["sql"] for query in fortnight.captured_queries)
        assert "sla_ticketsla" not in sql and "feedback_surveyresponse" not in sql
        assert "tickets_ticket_tags" not in sql


def test_tagging_untagging_and_assigning_reach_the_rollups(tagged, monkeypatch):
    RollupDirtyHour.objects.all().delete()
    admin = UserFactory(role="admin")
    state = (
        TicketSla.objects.filter(created_at__gte=SINCE, solved_at__lt=UNTIL)
        .exclude(ticket__tags__name="vip")
        .select_related("ticket")
        .first()
    )
    ticket = state.ticket
    period = Period(SINCE, UNTIL, tag="vip")
    before = performance_report(period)["overall"]

    services.update_ticket(
        ticket=ticket, actor=admin, tags=["vip", *ticket.tags.values_list("name", flat=True)]
    )
    assert RollupDirtyHour.objects.filter(hour=rollups.hour_of(state.created_at)).exists()
    assert RollupDirtyHour.objects.filter(hour=rollups.hour_of(state.solved_at)).exists()
    rollups.process_dirty_hours()
    after = performance_report(period)
    assert after["overall"]["tickets"] == before["tickets"] + 1
    assert after["overall"]["solved"] == before["solved"] + 1
    assert_same_report(after, exact_report(monkeypatch, period))

    services.update_ticket(ticket=ticket, actor=admin, tags=[])
    rollups.process_dirty_hours()
    cleared = performance_report(period)
    assert cleared["overall"]["tickets"] == before["tickets"]
    assert_same_report(cleared, exact_report(monkeypatch, period))

    # Attainment per agent is that of the tickets they hold now.
    newcomer = UserFactory(role="agent", name="Daichi")
    judged = TicketSla.objects.filter(ticket__sla_clocks__breached_at__gte=SINCE).first()
    clocks_period = Period(SINCE, UNTIL, agent_id=newcomer.pk)
    assert performance_report(clocks_period)["overall"]["attainment"]["judged"] == 0
    services.update_ticket(ticket=judged.ticket, actor=admin, assignee=newcomer)
    rollups.process_dirty_hours()
    held = performance_report(clocks_period)
    assert held["overall"]["attainment"]["judged"] > 0
    assert_same_report(held, exact_report(monkeypatch, clocks_period))

    # Incremental upkeep left the rows a rebuild from scratch gives.
    kept = tag_rows()
    rollups.rebuild_all()
    assert tag_rows() == kept


def tag_rows() -> tuple[list, list, list]:
    hourly = TagHourlyRollup.objects.values_list(
        "hour", "channel", "team_id", "tag_id", "agent_id", "created", "solved", "csat_responses"
    )
    daily = TagDailyRollup.objects.values_list(
        "day", "channel", "team_id", "tag_id", "agent_id", "created", "created_by_hour", "solved"
    )
    totals = TagDayTotal.objects.values_list(
        "day", "channel", "team_id", "tag_id", "created", "created_by_hour", "solved"
    )
    return sorted(hourly, key=repr), sorted(daily, key=repr), sorted(totals, key=repr)


@override_settings(TIME_ZONE="Asia/Kolkata")
def test_days_in_a_zone_with_a_half_hour_offset_are_summed_from_the_tickets(tagged, monkeypatch):
    # UTC+5:30: a UTC hour straddles two local hours, so day rows cannot be sums of hourly rows.
    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")
    since = dt.datetime(2026, 6, 1, tzinfo=kolkata)
    assert not rollup_days.whole_hour_offsets(since, since + dt.timedelta(days=1))
    rollups.rebuild_all()
    for period in (
        Period(since, since + dt.timedelta(days=14)),
        Period(since, since + dt.timedelta(days=14), tag="vip"),
        Period(since, since + dt.timedelta(days=14), agent_id=tagged["agents"][2].pk),
    ):
        assert daily_reads.day_range(period) is not None
        from_days = performance_report(period)
        assert from_days["overall"]["tickets"] > 0
        exact = exact_report(monkeypatch, period)
        # Clock runs are rolled up by UTC hour, so here the half hour at each end of the period
        # can differ; every ticket, time and rating number is summed by local day exactly.
        for key in ("overall", "previous"):
            from_days[key]["attainment"] = exact[key]["attainment"]
        for key in ("attainment_by_metric", "by_channel", "by_team"):
            from_days[key] = clear_attainment(from_days[key])
            exact[key] = clear_attainment(exact[key])
        assert_same_report(from_days, exact)
        assert_csat_equal(from_days, exact)


def clear_attainment(rows):
    if isinstance(rows, dict):
        return {}
    return [{**row, "attainment": None} for row in rows]
