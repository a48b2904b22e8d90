"""Day rollups and CSAT in the rollups: the Performance report read from day rows equals the
one read from hourly rows (same buckets, so the same medians) and the from-scratch computation
(counts and CSAT exactly, percentiles within a bucket); ratings keep the rollups current."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import Survey, SurveyResponse
from feedback.selectors import csat_by_agent, csat_summary
from sla import rollup_days, rollups
from sla.models import AgentDailyRollup, DailyRollup, RollupDirtyHour
from sla.selectors import Period, daily_reads, performance_report, rollup_reads
from tests.factories import TicketFactory
from tests.sla.rollup_history import (
    SINCE,
    UNTIL,
    assert_same_report,
    build_history,
    exact_report,
    hourly_report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(db):
    """The rollup tests' history plus 120 CSAT ratings spread over the same weeks, channels, teams and agents."""
    history = build_history()
    chance = random.Random(11)
    teams = [team.pk if team else None for team in history["teams"]]
    agents = [agent.pk for agent in history["agents"]] + [None]
    responses = []
    for _ in range(120):
        ticket = TicketFactory()
        survey = Survey.objects.create(
            ticket=ticket,
            customer=ticket.customer,
            channel="email",
            language="ja",
            scale="good_bad",
            send_at=SINCE,
            nonce="n",
        )
        good = chance.random() < 0.7
        response = SurveyResponse.objects.create(
            survey=survey,
            ticket=ticket,
            customer=ticket.customer,
            agent_id=chance.choice(agents),
            team_id=chance.choice(teams),
            channel=chance.choice(["email", "chat", "line"]),
            scale="good_bad",
            rating=int(good),
            is_good=good,
        )
        rated_at = SINCE - dt.timedelta(days=5) + dt.timedelta(minutes=chance.randrange(0, 31680))
        responses.append((response.pk, rated_at))
    for pk, rated_at in responses:  # .update: auto_now_add cannot be set on create
        SurveyResponse.objects.filter(pk=pk).update(created_at=rated_at)
    rollups.rebuild_all()
    return history


@pytest.fixture
def always_rollups(monkeypatch):
    monkeypatch.setattr(rollup_reads, "EXACT_LIMIT", -1)


def periods(rated):
    team = rated["teams"][0]
    return (
        Period(since=SINCE, until=UNTIL),
        Period(since=SINCE, until=UNTIL, channel="chat"),
        Period(since=SINCE, until=UNTIL, team_id=team.pk),
    )


def test_day_rollups_give_the_hourly_numbers_and_the_exact_ones(rated, always_rollups, monkeypatch):
    for period in periods(rated):
        assert daily_reads.day_range(period) is not None
        from_days = performance_report(period)
        assert from_days["overall"]["tickets"] > 0
        # The same buckets at both grains: every number, median and p90 is identical.
        assert from_days == hourly_report(monkeypatch, period)
        exact = exact_report(monkeypatch, period)
        assert_same_report(from_days, exact)
        assert from_days["csat"] == exact["csat"]
        assert from_days["previous_csat"] == exact["previous_csat"]
        for table in ("by_channel", "by_team", "by_agent"):
            assert [(row["key"], row["csat"]) for row in from_days[table]] == [
                (row["key"], row["csat"]) for row in exact[table]
            ], table


def test_csat_from_rollups_equals_the_feedback_apps_own_numbers(rated, always_rollups):
    report = performance_report(Period(since=SINCE, until=UNTIL))
    assert report["csat"] == csat_summary(since=SINCE, until=UNTIL)
    assert report["csat"]["responses"] > 50
    by_agent = {row["key"]: row["csat"] for row in report["by_agent"] if row["csat"]}
    assert by_agent == csat_by_agent(since=SINCE, until=UNTIL)
    chat = performance_report(Period(since=SINCE, until=UNTIL, channel="chat"))
    assert chat["csat"] == csat_summary(since=SINCE, until=UNTIL, channel="chat")
    by_channel = {row["key"]: row["csat"]["score"] for row in report["by_channel"] if row["csat"]}
    assert set(by_channel) == {"email", "chat", "line"}


def test_the_day_report_reads_rollups_only_in_a_fixed_number_of_queries(rated, always_rollups):
    with CaptureQueriesContext(connection) as week:
        performance_report(Period(since=SINCE, until=SINCE + dt.timedelta(days=7)))
    with CaptureQueriesContext(connection) as fortnight:
        performance_report(Period(since=SINCE, until=UNTIL))
    assert len(week) == len(fortnight) <= 10
    tables = " ".join(query["sql"] for query in fortnight.captured_queries)
    assert "sla_ticketsla" not in tables and "feedback_surveyresponse" not in tables


def test_periods_the_day_rows_cannot_answer_go_to_the_hourly_rows(rated, always_rollups):
    # Not whole days of the site's zone: a period starting at 09:00.
    assert daily_reads.day_range(Period(SINCE + dt.timedelta(hours=9), UNTIL)) is None
    # A viewer with their own time zone sees other days and hours than the day rows hold.
    with timezone.override(zoneinfo.ZoneInfo("Europe/London")):
        assert daily_reads.day_range(Period(SINCE, UNTIL)) is None
        report = performance_report(Period(SINCE, UNTIL))
    assert report["overall"]["tickets"] > 0
    # Tag and agent filters are answered by the day rows too (test_filtered_rollups.py).
    agent = rated["agents"][0]
    assert daily_reads.performance_report_from_days(Period(SINCE, UNTIL, tag="vip")) is not None
    assert (
        daily_reads.performance_report_from_days(Period(SINCE, UNTIL, agent_id=agent.pk))
        is not None
    )


def test_a_rating_given_changed_or_erased_reaches_the_rollups(rated):
    RollupDirtyHour.objects.all().delete()
    ticket = TicketFactory(channel="line")
    survey = Survey.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        channel="line",
        language="ja",
        scale="five",
        send_at=SINCE,
        nonce="n",
    )
    response = SurveyResponse.objects.create(
        survey=survey,
        ticket=ticket,
        customer=ticket.customer,
        agent=None,
        channel="line",
        scale="five",
        rating=2,
        is_good=False,
    )
    today = rollup_days.local_day(response.created_at)

    def today_csat():
        rows = DailyRollup.objects.filter(day=today, channel="line", team_id=None)
        return [(row.csat_responses, row.csat_good) for row in rows]

    assert RollupDirtyHour.objects.filter(hour=rollups.hour_of(response.created_at)).exists()
    rollups.process_dirty_hours()
    assert today_csat() == [(1, 0)]

    response.rating, response.is_good = 5, True  # the customer changes their mind
    response.save()
    rollups.process_dirty_hours()
    assert today_csat() == [(1, 1)]

    response.delete()  # erased with the customer's data
    rollups.process_dirty_hours()
    assert today_csat() in ([], [(0, 0)])


def test_agent_day_rows_attribute_first_replies_solves_and_ratings(rated):
    agent = rated["agents"][0]
    rows = AgentDailyRollup.objects.filter(agent_id=agent.pk)
    assert rows.exists()
    from sla.models import TicketSla

    replied = TicketSla.objects.filter(
        first_reply_by_id=agent.pk, first_reply_minutes__isnull=False
    ).count()
    solved = TicketSla.objects.filter(
        solved_by_id=agent.pk, resolution_minutes__isnull=False
    ).count()
    ratings = SurveyResponse.objects.filter(agent=agent).count()
    assert sum(row.first_replies for row in rows) == replied
    assert sum(row.resolutions for row in rows) == solved
    assert sum(row.csat_responses for row in rows) == ratings
