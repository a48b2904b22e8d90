"""SLA attainment (judged clock runs) and the daily backlog trend, from stored measurements."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import SlaClock
from .common import Period, measured_rows, rate


def sla_attainment(period: Period, *, overall_only: bool = False) -> dict:
    """Share of judged clock runs (met or breached) in the period that were met.

    A run counts in the period it was decided in: met when it completed, breached when it
    breached (so a still-running breached clock counts too). Cancelled runs are not judged.
    """
    clocks = SlaClock.objects.filter(
        Q(completed_at__gte=period.since, completed_at__lt=period.until, cancelled=False)
        | Q(
            completed_at__isnull=True,
            breached_at__gte=period.since,
            breached_at__lt=period.until,
        )
    )
    if period.channel:
        clocks = clocks.filter(ticket__sla__channel=period.channel)
    if period.team_id:
        clocks = clocks.filter(ticket__sla__team_id_snapshot=period.team_id)
    if period.agent_id:  # the tickets the agent holds now
        clocks = clocks.filter(ticket__assignee_id=period.agent_id)
    if period.tag:
        clocks = clocks.filter(ticket__tags__name=period.tag)
    judged = {"judged": Count("pk"), "met": Count("pk", filter=Q(breached_at__isnull=True))}

    def with_rate(row: dict) -> dict:
        return {**row, "rate": rate(row["met"], row["judged"])}

    overall = with_rate(clocks.aggregate(**judged))
    if overall_only:
        return {"overall": overall}
    by_metric = {
        row["metric"]: with_rate(row) for row in clocks.values("metric").annotate(**judged)
    }
    by_channel = {
        row["ticket__sla__channel"]: with_rate(row)
        for row in clocks.values("ticket__sla__channel").annotate(**judged)
    }
    by_team = {
        row["ticket__sla__team_id_snapshot"]: with_rate(row)
        for row in clocks.values("ticket__sla__team_id_snapshot").annotate(**judged)
    }
    return {
        "overall": overall,
        "by_metric": by_metric,
        "by_channel": by_channel,
        "by_team": by_team,
    }


def backlog_trend(period: Period) -> list[dict]:
    """Unsolved tickets at the end of each day: the opening backlog plus created minus solved.

    Four grouped queries instead of one count per day. A ticket that was solved and reopened
    counts by its current state (solved_at is cleared on reopen). The opening backlog is every
    ticket created before the period minus every one solved before it (a ticket is solved after
    it is created); with an agent filter: created and answered first by them minus solved by
    them — the same sum the rollups give.
    """
    made, done = measured_rows(period, "created"), measured_rows(period, "solved")
    zone = timezone.get_current_timezone()
    opening = (
        made.filter(created_at__lt=period.since).count()
        - done.filter(solved_at__lt=period.since).count()
    )
    created = dict(
        made.filter(created_at__gte=period.since, created_at__lt=period.until)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    solved = dict(
        done.filter(solved_at__gte=period.since, solved_at__lt=period.until)
        .annotate(day=TruncDate("solved_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    trend, backlog = [], opening
    for day in period.days:
        backlog += created.get(day, 0) - solved.get(day, 0)
        trend.append(
            {
                "day": day,
                "created": created.get(day, 0),
                "solved": solved.get(day, 0),
                "backlog": backlog,
            }
        )
    return trend
