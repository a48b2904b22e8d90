"""The shared history of the rollup tests: measured tickets, clocks, and how to compare the
Performance report read from rollups with the one computed from scratch."""

from __future__ import annotations

import datetime as dt
import random

from sla import rollups
from sla.models import Metric, SlaClock, TicketSla
from sla.selectors import daily_reads, performance_report, rollup_reads
from tests.factories import TicketFactory, UserFactory
from tests.sla.conftest import TOKYO
from tickets.models import Team

SINCE = dt.datetime(2026, 6, 1, tzinfo=TOKYO)
UNTIL = SINCE + dt.timedelta(days=14)


def exact_report(monkeypatch, period):
    with monkeypatch.context() as patch:
        patch.setattr(rollup_reads, "performance_report_from_rollups", lambda period: None)
        patch.setattr(daily_reads, "performance_report_from_days", lambda period: None)
        return performance_report(period)


def hourly_report(monkeypatch, period):
    with monkeypatch.context() as patch:
        patch.setattr(daily_reads, "performance_report_from_days", lambda period: None)
        return performance_report(period)


def build_history() -> dict:
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


TAGS = ("vip", "返品", "bug")


def tag_history(history: dict, order: str) -> dict:
    """Give the history's tickets 0–2 tags, an assignee and now and then a rating (a fixed
    seed), drawn in `order`: a TicketSla ordering ("ticket_id", "-first_reply_minutes", ties
    broken by ticket) or "shuffled" (a seeded shuffle); then rebuild the rollups."""
    from feedback.models import Survey, SurveyResponse
    from tickets.models import Tag, Ticket

    chance = random.Random(23)
    tags = [Tag.objects.create(name=name) for name in TAGS]
    agents = history["agents"]
    rated = []
    # A stated order: without ORDER BY the heap order (and so which ticket draws which tags,
    # assignee and rating) depended on the free space earlier tests left in the table.
    states = TicketSla.objects.select_related("ticket")
    if order == "shuffled":
        states = list(states.order_by("ticket_id"))
        random.Random(41).shuffle(states)
    else:
        states = states.order_by(order, "ticket_id")
    for state in states:
        ticket = state.ticket
        ticket.tags.set(chance.sample(tags, chance.choice([0, 1, 1, 2])))
        Ticket.objects.filter(pk=ticket.pk).update(assignee=chance.choice([*agents, None]))
        if chance.random() < 0.3:
            survey = Survey.objects.create(
                ticket=ticket,
                customer=ticket.customer,
                channel=state.channel,
                language="ja",
                scale="good_bad",
                send_at=SINCE,
                nonce="n",
            )
            good = chance.random() < 0.7
            rater = chance.choice([*agents, None])
            response = SurveyResponse.objects.create(
                survey=survey,
                ticket=ticket,
                customer=ticket.customer,
                agent_id=rater.pk if rater else None,
                team_id=state.team_id_snapshot,
                channel=state.channel,
                scale="good_bad",
                rating=int(good),
                is_good=good,
            )
            rated.append(
                (response.pk, state.created_at + dt.timedelta(hours=chance.randrange(1, 50)))
            )
    for pk, at in rated:  # .update: auto_now_add cannot be set on create
        SurveyResponse.objects.filter(pk=pk).update(created_at=at)
    rollups.rebuild_all()
    return {**history, "tags": tags}


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
