"""Day rollups (DailyRollup, AgentDailyRollup, AgentDayTotal, TagDailyRollup): the hourly rows
summed by day of the site's time zone.

The Performance dashboard over 90 days reads a few thousand day rows instead of a row per
ticket-hour. A day is the sum of its hourly rows (HourlyRollup, TagHourlyRollup): the minute
task, having just rebuilt the hours events marked, re-sums their days from ~2,000 hourly rows
each instead of scanning the day's tickets again. Where the site's zone is not a whole number
of hours off UTC (India, Nepal, parts of Australia) a UTC hour straddles two local days, so
those days are summed from the tickets' facts grouped by local hour instead. Each run of days
is written whole in one transaction under an advisory lock per day: repeated or after a crash,
it gives the same rows. `rollups.rebuild_all` (manage.py rebuild_rollups) rebuilds every day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from .histograms import merge_histogram
from .models import (
    AgentDailyRollup,
    AgentDayTotal,
    DailyRollup,
    HourlyRollup,
    TagDailyRollup,
    TagDayTotal,
    TagHourlyRollup,
)
from .rollup_hours import HourRow, _Facts, copy_rows, insert_rows
from .rollup_hours import csat_rows as csat_rows  # noqa: PLC0414 - kept where callers import it

_LOCK_CLASS = 0x5A1D  # pg_advisory_xact_lock(class, day ordinal): one rebuild of a day at a time
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
DAY_TABLES = (DailyRollup, AgentDailyRollup, AgentDayTotal, TagDailyRollup, TagDayTotal)
TAG_DAY_TABLES = (TagDailyRollup, TagDayTotal)
HOUR_FIELDS = tuple(f.name for f in fields(HourRow))
MEASURES = (
    "first_replies", "first_reply_minutes", "resolutions", "resolution_minutes",
    "csat_responses", "csat_good",
)  # fmt: skip


def site_zone() -> dt.tzinfo:
    return timezone.get_default_timezone()


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(site_zone()).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=site_zone())


def days_of_hours(hours: Iterable[dt.datetime]) -> set[dt.date]:
    """The local days a set of UTC hours touch (an hour can straddle two where the zone's
    offset is not whole hours)."""
    days: set[dt.date] = set()
    for hour in hours:
        days.add(local_day(hour))
        days.add(local_day(hour + dt.timedelta(minutes=59, seconds=59)))
    return days


def drop_days_before(day: dt.date) -> None:
    _delete_days(dt.date.min, day)


def _delete_days(first: dt.date, stop: dt.date, tables: tuple = DAY_TABLES) -> None:
    # Plain SQL: QuerySet.delete() fetches every id first whenever any app listens to deletes.
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE day >= %s AND day < %s",  # noqa: S608 - names are ours, values bound
                [first, stop],
            )


def rebuild_days(days: Iterable[dt.date]) -> int:
    """Rebuild the given days, one query set per run of consecutive days; returns rows written."""
    written, run = 0, []
    for day in sorted(set(days)):
        if run and day != run[-1] + DAY:
            written += rebuild_day_range(run[0], run[-1] + DAY)
            run = []
        run.append(day)
    if run:
        written += rebuild_day_range(run[0], run[-1] + DAY)
    return written


@dataclass
class _DayRow(HourRow):
    created_by_hour: list[int] = field(default_factory=lambda: [0] * 24)

    def add(self, row: HourRow, local_hour: int) -> None:
        # Spelled out: the minute task sums thousands of hourly rows a day through here.
        self.created += row.created
        self.first_replies += row.first_replies
        self.first_reply_minutes += row.first_reply_minutes
        self.solved += row.solved
        self.resolutions += row.resolutions
        self.resolution_minutes += row.resolution_minutes
        self.one_touch += row.one_touch
        self.reopened += row.reopened
        self.csat_responses += row.csat_responses
        self.csat_good += row.csat_good
        if row.first_reply_buckets:
            merge_histogram(self.first_reply_buckets, row.first_reply_buckets)
        if row.resolution_buckets:
            merge_histogram(self.resolution_buckets, row.resolution_buckets)
        self.created_by_hour[local_hour] += row.created

    def merge(self, other: _DayRow) -> None:
        self.add(other, 0)
        self.created_by_hour[0] -= other.created
        for hour, count in enumerate(other.created_by_hour):
            self.created_by_hour[hour] += count


def whole_hour_offsets(since: dt.datetime, until: dt.datetime) -> bool:
    """Whether every UTC hour of [since, until) lies inside one local hour of the site's zone."""
    zone, moment = site_zone(), since.astimezone(dt.UTC)
    while moment < until:
        if int(moment.astimezone(zone).utcoffset().total_seconds()) % 3600:
            return False
        moment += HOUR
    return True


def _hour_rows(since: dt.datetime, until: dt.datetime, *, tags_only: bool = False):
    """([((hour, channel, team, agent), HourRow)], the same per tag) of [since, until): the
    hourly rows when UTC hours are local hours, else the facts grouped by local hour.
    `tags_only`: the first list is left empty (not read)."""
    if not whole_hour_offsets(since, until):
        zone = site_zone()

        def local_hour(moment: dt.datetime) -> dt.datetime:
            return moment.astimezone(zone).replace(minute=0, second=0, microsecond=0)

        rows, tag_rows = _Facts(since, until).ticket_rows(bucket=local_hour)
        return [] if tags_only else list(rows.items()), list(tag_rows.items())
    out: list[list] = [[]] if tags_only else []
    tables = ((HourlyRollup, ("agent_id",)), (TagHourlyRollup, ("agent_id", "tag_id")))
    for model, keys in tables[1:] if tags_only else tables:
        columns = ", ".join(("hour", "channel", "team_id", *keys, *HOUR_FIELDS))
        with connection.cursor() as cursor:  # plain rows: no model or dict per row
            cursor.execute(
                f"SELECT {columns} FROM {model._meta.db_table} WHERE hour >= %s AND hour < %s",  # noqa: S608 - names are ours, values bound
                [since, until],
            )
            rows = cursor.fetchall()
        width = 3 + len(keys)
        out.append([(row[:width], HourRow(*row[width:])) for row in rows])
    return out[0], out[1]


def rebuild_day_range(first: dt.date, stop: dt.date, *, tags_only: bool = False) -> int:
    """Recompute the day rows of the days in [first, stop) from their hours; rows written.
    `tags_only`: only the per-tag day tables."""
    if stop <= first:
        return 0
    since, until = day_start(first), day_start(stop)
    zone = site_zone()
    days: dict[tuple, _DayRow] = {}
    agents: dict[tuple, _DayRow] = {}
    tags: dict[tuple, _DayRow] = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, n::int) FROM generate_series(%s, %s) n",
                [_LOCK_CLASS, first.toordinal(), stop.toordinal() - 1],
            )
        hour_rows, tag_rows = _hour_rows(since, until, tags_only=tags_only)
        for (hour, channel, team, agent), row in hour_rows:
            local = hour.astimezone(zone)
            days.setdefault((local.date(), channel, team), _DayRow()).add(row, local.hour)
            if agent is not None:
                key = (local.date(), channel, team, agent)
                agents.setdefault(key, _DayRow()).add(row, local.hour)
        for (hour, channel, team, agent, tag), row in tag_rows:
            local = hour.astimezone(zone)
            key = (local.date(), channel, team, agent, tag)
            tags.setdefault(key, _DayRow()).add(row, local.hour)
        totals: dict[tuple, _DayRow] = {}
        for (day, _channel, _team, agent), row in agents.items():
            totals.setdefault((day, agent), _DayRow()).add(row, 0)
        tag_totals: dict[tuple, _DayRow] = {}
        for (day, channel, team, _agent, tag), row in tags.items():
            tag_totals.setdefault((day, channel, team, tag), _DayRow()).merge(row)
        _delete_days(first, stop, TAG_DAY_TABLES if tags_only else DAY_TABLES)
        _insert(DailyRollup, ("day", "channel", "team_id"), days)
        _insert(AgentDailyRollup, ("day", "channel", "team_id", "agent_id"), agents, by="agent_id")
        _insert(
            TagDailyRollup, ("day", "channel", "team_id", "agent_id", "tag_id"), tags, by="tag_id"
        )
        _insert(TagDayTotal, ("day", "channel", "team_id", "tag_id"), tag_totals, by="tag_id")
        copy_rows(
            AgentDayTotal,
            ("day", "agent_id", "first_reply_buckets", "resolution_buckets", *MEASURES),
            (
                (day, agent, row.first_reply_buckets, row.resolution_buckets)
                + tuple(getattr(row, name) for name in MEASURES)
                for (day, agent), row in totals.items()
            ),
        )
    return len(days) + len(agents) + len(tags) + len(totals) + len(tag_totals)


_insert = insert_rows


def backfill(*, since: dt.datetime | None = None, step_days: int = 31, progress=None) -> int:
    """Re-sum every day row from the hourly rows already there (`rebuild_rollups --days-only`),
    a month per transaction: minutes where rebuilding the hours of millions of tickets takes
    an hour. Gives the rows a full rebuild would when the hourly rows are current."""
    from .rollups import _first_fact

    first = since or _first_fact()
    if first is None:
        return 0
    return rebuild_days_between(
        local_day(first), local_day(timezone.now()), step_days=step_days, progress=progress
    )


def rebuild_days_between(
    first: dt.date, last: dt.date, *, step_days: int = 31, progress=None, tags_only: bool = False
) -> int:
    """Rebuild every day from `first` to `last` inclusive, a month per transaction."""
    day, stop, written = first, last + DAY, 0
    while day < stop:
        until = min(day + dt.timedelta(days=step_days), stop)
        written += rebuild_day_range(day, until, tags_only=tags_only)
        if progress:
            progress(day, written)
        day = until
    return written


def first_rating() -> dt.datetime | None:
    if not apps.is_installed("feedback"):
        return None
    responses = apps.get_model("feedback", "SurveyResponse").objects
    return responses.order_by("created_at").values_list("created_at", flat=True).first()


def last_rating() -> dt.datetime | None:
    if not apps.is_installed("feedback"):
        return None
    responses = apps.get_model("feedback", "SurveyResponse").objects
    return responses.order_by("-created_at").values_list("created_at", flat=True).first()


def rating_moments(ticket_ids: int | Iterable[int]) -> list[dt.datetime]:
    """When the tickets (one id or several) were rated."""
    if not apps.is_installed("feedback"):
        return []
    ids = [ticket_ids] if isinstance(ticket_ids, int) else list(ticket_ids)
    responses = apps.get_model("feedback", "SurveyResponse").objects
    return list(responses.filter(ticket_id__in=ids).values_list("created_at", flat=True))


def mark_rating(instance, **kwargs) -> None:
    """post_save / post_delete of a CSAT response: its hour (and day) count it, or no longer."""
    from .rollups import mark_hours

    if instance.created_at is not None:
        mark_hours(instance.created_at)
