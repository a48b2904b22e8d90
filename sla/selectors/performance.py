"""The "Performance" dashboard, exactly, from the stored per-ticket measurements (TicketSla,
SlaClock): business minutes were measured when they happened, so medians and p90s are
PostgreSQL `percentile_cont` over stored numbers, never a replay.

This path serves small periods without a tag or agent filter; large periods, and every period
with a tag or agent filter (which no index narrows here), read the day rollups
(daily_reads.py) or, when the period is not whole days of the site's time zone, the hourly
rollups (rollup_reads.py). Both give the numbers below (percentiles within a bucket).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from helpdesk.models import User
from tickets.models import Channel

from . import daily_reads, rollup_reads
from .attainment import backlog_trend, sla_attainment
from .common import (
    PercentileCont,
    Period,
    measured_rows,
    rate,
    report_changes,
    team_names,
    with_tag_id,
)
from .feedback import csat_by_agent, csat_by_group, csat_summary


def _time_stats(rows: QuerySet, column: str, group: str | None) -> list[dict]:
    stats = {
        "count": Count(column),
        "median": PercentileCont(column, 0.5),
        "p90": PercentileCont(column, 0.9),
    }
    rows = rows.filter(**{f"{column}__isnull": False})
    if group is None:
        return [rows.aggregate(**stats)]
    return list(rows.values(group).annotate(**stats).order_by(group))


def performance_report(period: Period) -> dict:
    """Every number of the Performance page for one period and filter (≈24 queries), with the
    headline numbers of the period before for comparison.

    A period with many tickets, or with a tag or agent filter, is read from the rollups; a
    small one exactly from the per-ticket measurements, where that is as cheap."""
    period = with_tag_id(period)
    from_rollups = daily_reads.performance_report_from_days(
        period
    ) or rollup_reads.performance_report_from_rollups(period)
    if from_rollups is not None:
        return from_rollups
    created = measured_rows(period, "created").filter(
        created_at__gte=period.since, created_at__lt=period.until
    )
    solved = measured_rows(period, "solved").filter(
        solved_at__gte=period.since, solved_at__lt=period.until
    )
    zone = timezone.get_current_timezone()
    channel_labels = dict(Channel.choices)

    volume_by_channel = [
        {**row, "label": channel_labels.get(row["channel"], row["channel"])}
        for row in created.values("channel")
        .annotate(count=Count("pk"))
        .order_by("-count", "channel")
    ]
    hours = dict(
        created.annotate(hour=ExtractHour("created_at", tzinfo=zone))
        .values("hour")
        .annotate(count=Count("pk"))
        .values_list("hour", "count")
    )
    volume_by_hour = [{"hour": hour, "count": hours.get(hour, 0)} for hour in range(24)]
    week_grid = {
        (weekday, hour): count
        for weekday, hour, count in created.annotate(
            weekday=ExtractIsoWeekDay("created_at", tzinfo=zone),
            hour=ExtractHour("created_at", tzinfo=zone),
        )
        .values("weekday", "hour")
        .annotate(count=Count("pk"))
        .values_list("weekday", "hour", "count")
    }

    first_reply = created.filter(first_reply_at__isnull=False)
    attainment = sla_attainment(period)
    overall = _overall(created, solved, attainment["overall"])
    before = period.previous()
    previous = _overall(
        measured_rows(before, "created").filter(
            created_at__gte=before.since, created_at__lt=before.until
        ),
        measured_rows(before, "solved").filter(
            solved_at__gte=before.since, solved_at__lt=before.until
        ),
        sla_attainment(before, overall_only=True)["overall"],
    )
    csat = csat_summary(period)
    previous_csat = csat_summary(before)
    return {
        "overall": overall,
        "previous": previous,
        "changes": report_changes(overall, previous, csat, previous_csat),
        "volume_by_channel": volume_by_channel,
        "volume_by_hour": volume_by_hour,
        # ISO weekday (Monday = 1) × hour → new tickets: where the staffing peaks are.
        "week_grid": week_grid,
        "by_channel": _breakdown(
            first_reply,
            solved,
            "channel",
            attainment["by_channel"],
            channel_labels,
            csat_by_group(period, "channel"),
        ),
        "by_team": _breakdown(
            first_reply,
            solved,
            "team_id_snapshot",
            attainment["by_team"],
            team_names(),
            csat_by_group(period, "team_id"),
        ),
        "by_agent": _agent_breakdown(first_reply, solved, csat_by_agent(period)),
        "attainment_by_metric": attainment["by_metric"],
        "backlog": backlog_trend(period),
        "csat": csat,
        "previous_csat": previous_csat,
    }


def _overall(created: QuerySet, solved: QuerySet, attainment: dict) -> dict:
    solved_counts = solved.aggregate(
        solved=Count("pk"),
        one_touch=Count("pk", filter=Q(agent_replies=1)),
        reopened=Count("pk", filter=Q(reopens__gt=0)),
    )
    return {
        "tickets": created.count(),
        "first_reply": _time_stats(
            created.filter(first_reply_at__isnull=False), "first_reply_minutes", None
        )[0],
        "resolution": _time_stats(solved, "resolution_minutes", None)[0],
        **solved_counts,
        "one_touch_rate": rate(solved_counts["one_touch"], solved_counts["solved"]),
        "reopen_rate": rate(solved_counts["reopened"], solved_counts["solved"]),
        "attainment": attainment,
    }


def _breakdown(
    first_reply, solved, group: str, attainment: dict, labels: dict, csat: dict | None
) -> list[dict]:
    rows: dict = {}
    for stat in _time_stats(first_reply, "first_reply_minutes", group):
        rows.setdefault(stat[group], {})["first_reply"] = stat
    for stat in _time_stats(solved, "resolution_minutes", group):
        rows.setdefault(stat[group], {})["resolution"] = stat
    for key in (*attainment, *(csat or {})):
        rows.setdefault(key, {})
    return [
        {
            "key": key,
            "label": labels.get(key, key) if key is not None else None,
            "first_reply": values.get("first_reply"),
            "resolution": values.get("resolution"),
            "attainment": attainment.get(key),
            "csat": (csat or {}).get(key),
        }
        for key, values in sorted(
            rows.items(), key=lambda item: (str(labels.get(item[0], "")), str(item[0]))
        )
    ]


def _agent_breakdown(first_reply, solved, csat: dict | None) -> list[dict]:
    first = {
        row["first_reply_by_id"]: row
        for row in _time_stats(first_reply, "first_reply_minutes", "first_reply_by_id")
    }
    resolution = {
        row["solved_by_id"]: row
        for row in _time_stats(solved, "resolution_minutes", "solved_by_id")
    }
    ids = {key for key in (*first, *resolution, *(csat or {})) if key is not None}
    names = {user.pk: user.display_name for user in User.objects.filter(pk__in=ids)}
    return sorted(
        (
            {
                "key": key,
                "label": names.get(key, "—"),
                "first_reply": first.get(key),
                "resolution": resolution.get(key),
                "attainment": None,
                "csat": (csat or {}).get(key),
            }
            for key in ids
        ),
        key=lambda row: (row["label"], row["key"]),
    )
