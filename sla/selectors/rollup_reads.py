"""The Performance dashboard read from the hourly rollups (sla.rollups keeps them current).

A fixed handful of grouped queries over rollup rows, whatever the number of tickets: sums
and counts are exact; medians and p90 are estimated from the histogram buckets (see
sla.rollups.BUCKET_BOUNDS for their widths), interpolated inside the bucket.

An agent filter reads the agent's rows (HourlyRollup and ClockRollup are keyed by agent); a tag
filter reads the per-tag tables (TagHourlyRollup, TagClockRollup, keyed by tag and agent too).
Not answered here (the caller falls back to the exact per-ticket path): small periods
(≤ EXACT_LIMIT tickets) without a tag or agent filter, whose exact percentiles cost no more
than the estimate (with those filters the exact path has no index to narrow it).

Raw SQL because the ORM has no GROUPING SETS: one scan answers the totals and every breakdown.
Only our own column and table names are formatted in; every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from ..models import ClockRollup, HourlyRollup, TagClockRollup, TagHourlyRollup
from .common import Period
from .shaping import backlog_of, report
from .shaping import overall_of as _overall

EXACT_LIMIT = 20_000
GROUPS = ("channel", "team_id", "agent_id")


def performance_report_from_rollups(period: Period) -> dict | None:
    """The same dict as performance.performance_report, or None when the rollups do not answer
    this period (see the module docstring)."""
    sums = _sums(period)
    overall_sums = sums.get(("", None), {})
    if not answers(period, overall_sums):
        return None
    histograms = _histograms(period)
    clocks = _clock_sums(period)
    before = period.previous()
    overall = _overall(sums, histograms, clocks, ("", None))
    previous_sums = _sums(before, overall_only=True)
    previous = _overall(
        previous_sums,
        _histograms(before, overall_only=True),
        _clock_sums(before, overall_only=True),
        ("", None),
    )
    by_hour = _by_hour(period)
    zone = timezone.get_current_timezone()
    volume_by_hour, week_grid = [0] * 24, {}
    for hour, created, _ in by_hour:
        local = hour.astimezone(zone)
        volume_by_hour[local.hour] += created
        key = (local.isoweekday(), local.hour)
        week_grid[key] = week_grid.get(key, 0) + created
    return report(
        overall=overall,
        previous=previous,
        overall_sums=overall_sums,
        previous_sums=previous_sums,
        sums=sums,
        histograms=histograms,
        clocks=clocks,
        agent_sums=sums,
        agent_histograms=histograms,
        volume_by_hour=volume_by_hour,
        week_grid=week_grid,
        backlog=_backlog(period, by_hour),
    )


def answers(period: Period, overall_sums: dict) -> bool:
    """Whether rollups should answer: always with a tag or agent filter, else above the limit."""
    if period.tag or period.agent_id:
        return True
    return overall_sums.get("created", 0) + overall_sums.get("solved", 0) > EXACT_LIMIT


# ------------------------------------------------------------------------------ queries


def hourly_table(period: Period) -> str:
    return (TagHourlyRollup if period.tag else HourlyRollup)._meta.db_table


def clock_table(period: Period) -> str:
    return (TagClockRollup if period.tag else ClockRollup)._meta.db_table


def filters(period: Period) -> tuple[list[str], list]:
    """The channel, team, agent and tag conditions every rollup table shares."""
    sql, params = [], []
    if period.channel:
        sql.append("channel = %s")
        params.append(period.channel)
    if period.team_id:
        sql.append("team_id = %s")
        params.append(period.team_id)
    if period.agent_id:
        sql.append("agent_id = %s")
        params.append(period.agent_id)
    if period.tag:
        sql.append("tag_id = %s")
        params.append(period.tag_id or 0)
    return sql, params


def _where(period: Period, *, from_start: bool = True) -> tuple[str, list]:
    """The period's hours and filters; `from_start=False`: every hour before the period."""
    if from_start:
        sql, params = ["hour >= %s", "hour < %s"], [period.since, period.until]
    else:
        sql, params = ["hour < %s"], [period.since]
    more, values = filters(period)
    return " AND ".join(sql + more), params + values


def _grouping_sets(groups: tuple[str, ...], overall_only: bool, extra: str = "") -> str:
    sets = ["()"] if overall_only else ["()", *(f"({group})" for group in groups)]
    if extra:
        sets = [f"({extra})" if s == "()" else f"({s[1:-1]}, {extra})" for s in sets]
    return ", ".join(sets)


def _keys(groups: tuple[str, ...], overall_only: bool) -> str:
    """The key columns and their GROUPING(...) mask; constants when only the total is asked
    (GROUPING may name only columns that some grouping set uses)."""
    if overall_only:
        return ", ".join(["NULL"] * len(groups) + [str((1 << len(groups)) - 1)])
    return f"{', '.join(groups)}, GROUPING({', '.join(groups)})"


def _label_of(row: tuple, groups: tuple[str, ...]) -> tuple[str, object]:
    """(group name, key) of a GROUPING SETS row whose first len(groups) columns are the keys
    and the next one GROUPING(...) of them (a bit set: 1 = not grouped by that column)."""
    mask = row[len(groups)]
    for index, group in enumerate(groups):
        if not mask & (1 << (len(groups) - 1 - index)):
            return group, row[index]
    return "", None


def _sums(period: Period, *, overall_only: bool = False) -> dict[tuple, dict]:
    where, params = _where(period)
    columns = (
        "created", "first_replies", "first_reply_minutes", "solved", "resolutions",
        "resolution_minutes", "one_touch", "reopened", "csat_responses", "csat_good",
    )  # fmt: skip
    sql = (
        f"SELECT {_keys(GROUPS, overall_only)}, "  # noqa: S608 - names are ours, values bound
        + ", ".join(f"COALESCE(SUM({c}), 0)" for c in columns)
        + f" FROM {hourly_table(period)} WHERE {where}"
        + f" GROUP BY GROUPING SETS ({_grouping_sets(GROUPS, overall_only)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(GROUPS) + 1
    return {_label_of(row, GROUPS): dict(zip(columns, row[width:], strict=True)) for row in rows}


def _histograms(period: Period, *, overall_only: bool = False) -> dict[tuple, dict]:
    """(group, key) → {"first_reply": [count per bucket], "resolution": [...]}."""
    where, params = _where(period)
    sql = (
        f"SELECT {_keys(GROUPS, overall_only)}, h.measure, h.bucket,"  # noqa: S608 - names are ours, values bound
        " SUM(h.n)"
        f" FROM {hourly_table(period)} r CROSS JOIN LATERAL ("
        "  SELECT 'first_reply' AS measure, n, bucket"
        "  FROM unnest(r.first_reply_buckets) WITH ORDINALITY AS f(n, bucket) WHERE n > 0"
        "  UNION ALL SELECT 'resolution', n, bucket"
        "  FROM unnest(r.resolution_buckets) WITH ORDINALITY AS s(n, bucket) WHERE n > 0"
        f") h WHERE {where}"
        f" GROUP BY GROUPING SETS ({_grouping_sets(GROUPS, overall_only, 'h.measure, h.bucket')})"
    )
    out: dict[tuple, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            measure, bucket, count = row[len(GROUPS) + 1 :]
            histogram = out.setdefault(_label_of(row, GROUPS), {}).setdefault(measure, {})
            histogram[bucket - 1] = int(count)  # ORDINALITY counts from 1
    return out


def _clock_sums(period: Period, *, overall_only: bool = False) -> dict[tuple, dict]:
    where, params = _where(period)
    groups = ("metric", "channel", "team_id")
    sql = (
        f"SELECT {_keys(groups, overall_only)}, SUM(met), SUM(breached)"  # noqa: S608 - names are ours, values bound
        f" FROM {clock_table(period)} WHERE {where}"
        f" GROUP BY GROUPING SETS ({_grouping_sets(groups, overall_only)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        _label_of(row, groups): {"met": int(row[-2] or 0), "breached": int(row[-1] or 0)}
        for row in rows
    }


def _by_hour(period: Period) -> list[tuple[dt.datetime, int, int]]:
    where, params = _where(period)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT hour, SUM(created), SUM(solved) FROM {hourly_table(period)}"  # noqa: S608 - names are ours, values bound
            f" WHERE {where} GROUP BY hour ORDER BY hour",
            params,
        )
        return [(hour, int(created), int(solved)) for hour, created, solved in cursor.fetchall()]


def _opening_backlog(period: Period) -> int:
    """Tickets created before the period and not solved before it: every creation before it
    minus every solve before it (a ticket is solved after it is created)."""
    where, params = _where(period, from_start=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(created), 0) - COALESCE(SUM(solved), 0)"  # noqa: S608 - names are ours, values bound
            f" FROM {hourly_table(period)} WHERE {where}",
            params,
        )
        return int(cursor.fetchone()[0])


def _backlog(period: Period, by_hour: list[tuple[dt.datetime, int, int]]) -> list[dict]:
    zone = timezone.get_current_timezone()
    per_day: dict[dt.date, tuple[int, int]] = {}
    for hour, made, done in by_hour:
        day = hour.astimezone(zone).date()
        created, solved = per_day.get(day, (0, 0))
        per_day[day] = (created + made, solved + done)
    return backlog_of(period, per_day, _opening_backlog(period))
