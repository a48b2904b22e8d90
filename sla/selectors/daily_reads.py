"""The Performance dashboard read from the day rollups (DailyRollup, AgentDailyRollup).

A period of whole days of the site's time zone, seen in that zone (what the dashboard's period
picker gives every viewer without a zone of their own), is answered from about 50 rows a day
(channel × team) and one per agent, channel and team a day, whatever the number of tickets:
sums and counts exact, medians and p90 estimated from the same histogram buckets as the hourly
rollups (so both paths give the same numbers). SLA attainment still reads the hourly clock
rollups (small: one row per hour, channel, team and target).

Histograms are summed bucket by bucket (SUM(buckets[i])) rather than unnested: one pass over
the rows, no row per bucket. Only our own column and table names are formatted into the SQL;
every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from ..histograms import BUCKET_BOUNDS
from ..models import AgentDailyRollup, AgentDayTotal, DailyRollup, TagDailyRollup, TagDayTotal
from ..rollup_days import site_zone
from . import rollup_reads
from .common import Period
from .shaping import (
    backlog_of,
    overall_of,
    report,
)

COUNTERS = (
    "created", "first_replies", "first_reply_minutes", "solved", "resolutions",
    "resolution_minutes", "one_touch", "reopened", "csat_responses", "csat_good",
)  # fmt: skip
AGENT_COUNTERS = ("first_replies", "resolutions", "csat_responses", "csat_good")
MEASURES = ("first_reply", "resolution")


def day_range(period: Period) -> tuple[dt.date, dt.date] | None:
    """[first, stop) days of the period when the day rollups answer it exactly; else None."""
    if timezone.get_current_timezone_name() != timezone.get_default_timezone_name():
        return None
    zone = site_zone()
    since, until = period.since.astimezone(zone), period.until.astimezone(zone)
    if since.time() != dt.time(0) or until.time() != dt.time(0) or until <= since:
        return None
    return since.date(), until.date()


def performance_report_from_days(period: Period) -> dict | None:
    """The same dict as performance.performance_report, or None when the day rollups do not
    answer (a period that is not whole site days, a small unfiltered period)."""
    days = day_range(period)
    if days is None:
        return None
    sums, histograms = _sums(period, days)
    overall_sums = sums.get(("", None), {})
    if not rollup_reads.answers(period, overall_sums):
        return None
    clocks = rollup_reads._clock_sums(period)
    before = period.previous()
    previous_sums, previous_histograms = _previous(before)
    overall = overall_of(sums, histograms, clocks, ("", None))
    previous = overall_of(
        previous_sums,
        previous_histograms,
        rollup_reads._clock_sums(before, overall_only=True),
        ("", None),
    )
    per_day, volume_by_hour, week_grid = _per_day(period, days)
    agent_sums, agent_histograms = _agent_sums(period, days)
    return report(
        overall=overall,
        previous=previous,
        overall_sums=overall_sums,
        previous_sums=previous_sums,
        sums=sums,
        histograms=histograms,
        clocks=clocks,
        agent_sums=agent_sums,
        agent_histograms=agent_histograms,
        volume_by_hour=volume_by_hour,
        week_grid=week_grid,
        backlog=backlog_of(period, per_day, _opening_backlog(period, days[0])),
    )


# ------------------------------------------------------------------------------ queries


def _where(period: Period, first: dt.date, stop: dt.date | None) -> tuple[str, list]:
    sql, params = ["day >= %s"], [first]
    if stop is None:  # every day before `first`
        sql, params = ["day < %s"], [first]
    else:
        sql.append("day < %s")
        params.append(stop)
    more, values = rollup_reads.filters(period)
    return " AND ".join(sql + more), params + values


def day_table(period: Period) -> str:
    """The day rows that hold the filter's keys: per tag, per agent, or per channel and team."""
    if period.tag:  # summed over agents unless one is asked for
        return (TagDailyRollup if period.agent_id else TagDayTotal)._meta.db_table
    return (AgentDailyRollup if period.agent_id else DailyRollup)._meta.db_table


def _bucket_sums() -> list[str]:
    return [
        f"COALESCE(SUM({measure}_buckets[{index}]), 0)"
        for measure in MEASURES
        for index in range(1, len(BUCKET_BOUNDS) + 1)
    ]


def _split(row: tuple, width: int, counters: tuple[str, ...]) -> tuple[dict, dict]:
    """A result row's counters and its two histograms ({bucket: count}, empty buckets left out)."""
    values = row[width:]
    sums = dict(zip(counters, values[: len(counters)], strict=True))
    buckets = values[len(counters) :]
    size = len(BUCKET_BOUNDS)
    histograms = {
        measure: {
            index: int(count)
            for index, count in enumerate(buckets[number * size : (number + 1) * size])
            if count
        }
        for number, measure in enumerate(MEASURES)
    }
    return sums, histograms


def _sums(
    period: Period, days: tuple[dt.date, dt.date], *, overall_only: bool = False
) -> tuple[dict, dict]:
    """Counters and histograms for the total, every channel and every team (one scan)."""
    groups = ("channel", "team_id")
    where, params = _where(period, *days)
    sql = (
        f"SELECT {rollup_reads._keys(groups, overall_only)}, "  # noqa: S608 - names are ours, values bound
        + ", ".join([f"COALESCE(SUM({c}), 0)" for c in COUNTERS] + _bucket_sums())
        + f" FROM {day_table(period)} WHERE {where}"
        + f" GROUP BY GROUPING SETS ({rollup_reads._grouping_sets(groups, overall_only)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    sums, histograms = {}, {}
    for row in rows:
        key = rollup_reads._label_of(row, groups)
        sums[key], histograms[key] = _split(row, len(groups) + 1, COUNTERS)
    return sums, histograms


def _previous(before: Period) -> tuple[dict, dict]:
    """The period before, overall only: from the day rows when it is whole days too (a DST
    change inside can shift it by an hour), else from the hourly rows."""
    days = day_range(before)
    if days is not None:
        return _sums(before, days, overall_only=True)
    return (
        rollup_reads._sums(before, overall_only=True),
        rollup_reads._histograms(before, overall_only=True),
    )


def _agent_sums(period: Period, days: tuple[dt.date, dt.date]) -> tuple[dict, dict]:
    where, params = _where(period, *days)
    # Without a filter the day × agent totals answer from a tenth of the rows; a tag filter
    # reads the tag's rows (keyed by agent too).
    if period.tag:
        table = TagDailyRollup._meta.db_table
    elif period.channel or period.team_id or period.agent_id:
        table = AgentDailyRollup._meta.db_table
    else:
        table = AgentDayTotal._meta.db_table
    sql = (
        "SELECT agent_id, "  # noqa: S608 - names are ours, values bound
        + ", ".join([f"COALESCE(SUM({c}), 0)" for c in AGENT_COUNTERS] + _bucket_sums())
        + f" FROM {table} WHERE {where} GROUP BY agent_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    sums, histograms = {}, {}
    for row in rows:
        key = ("agent_id", row[0])
        sums[key], histograms[key] = _split(row, 1, AGENT_COUNTERS)
    return sums, histograms


def _per_day(period: Period, days: tuple[dt.date, dt.date]):
    """(created, solved) per day, new tickets per local hour, and per ISO weekday × hour."""
    where, params = _where(period, *days)
    hours = ", ".join(f"COALESCE(SUM(created_by_hour[{h}]), 0)" for h in range(1, 25))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT day, SUM(created), SUM(solved), {hours}"  # noqa: S608 - names are ours, values bound
            f" FROM {day_table(period)} WHERE {where} GROUP BY day ORDER BY day",
            params,
        )
        rows = cursor.fetchall()
    per_day, volume_by_hour, week_grid = {}, [0] * 24, {}
    for day, created, solved, *by_hour in rows:
        per_day[day] = (int(created), int(solved))
        for hour, count in enumerate(by_hour):
            if count:
                volume_by_hour[hour] += int(count)
                key = (day.isoweekday(), hour)
                week_grid[key] = week_grid.get(key, 0) + int(count)
    return per_day, volume_by_hour, week_grid


def _opening_backlog(period: Period, first: dt.date) -> int:
    """Created before the period minus solved before it (a ticket is solved after it is made)."""
    where, params = _where(period, first, None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(created), 0) - COALESCE(SUM(solved), 0)"  # noqa: S608 - names are ours, values bound
            f" FROM {day_table(period)} WHERE {where}",
            params,
        )
        return int(cursor.fetchone()[0])
