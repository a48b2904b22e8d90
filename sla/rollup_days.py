"""Day rollups (DailyRollup, AgentDailyRollup): the hourly facts by day of the site's time zone.

The Performance dashboard over 90 days reads a few thousand day rows instead of a row per
ticket-hour. A day is rebuilt whole from the per-ticket measurements (TicketSla) and the CSAT
responses, in one transaction under an advisory lock per day, so a rebuild repeated or run
after a crash gives the same rows. `rollups.process_dirty_hours` rebuilds the days of the hours
that events marked; `rollups.rebuild_all` (manage.py rebuild_rollups) every day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from .histograms import add_to_histogram, merge_histogram
from .models import AgentDailyRollup, AgentDayTotal, DailyRollup, TicketSla

_LOCK_CLASS = 0x5A1D  # pg_advisory_xact_lock(class, day ordinal): one rebuild of a day at a time
DAY = dt.timedelta(days=1)


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


def _delete_days(first: dt.date, stop: dt.date) -> None:
    # Plain SQL: QuerySet.delete() fetches every id first whenever any app listens to deletes.
    with connection.cursor() as cursor:
        for model in (DailyRollup, AgentDailyRollup, AgentDayTotal):
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
class _Measures:
    first_replies: int = 0
    first_reply_minutes: float = 0.0
    first_reply_buckets: list[int] = field(default_factory=list)
    resolutions: int = 0
    resolution_minutes: float = 0.0
    resolution_buckets: list[int] = field(default_factory=list)
    csat_responses: int = 0
    csat_good: int = 0

    def first_reply(self, minutes: float) -> None:
        self.first_replies += 1
        self.first_reply_minutes += minutes
        add_to_histogram(self.first_reply_buckets, minutes)

    def resolution(self, minutes: float) -> None:
        self.resolutions += 1
        self.resolution_minutes += minutes
        add_to_histogram(self.resolution_buckets, minutes)

    def rating(self, good: bool) -> None:
        self.csat_responses += 1
        self.csat_good += good


@dataclass
class _DayRow(_Measures):
    created: int = 0
    created_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    solved: int = 0
    one_touch: int = 0
    reopened: int = 0


def rebuild_day_range(first: dt.date, stop: dt.date) -> int:
    """Recompute the day rows of the days in [first, stop); returns the rows written."""
    if stop <= first:
        return 0
    since, until = day_start(first), day_start(stop)
    zone = site_zone()
    days: dict[tuple, _DayRow] = {}
    agents: dict[tuple, _Measures] = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, n::int) FROM generate_series(%s, %s) n",
                [_LOCK_CLASS, first.toordinal(), stop.toordinal() - 1],
            )
        created = TicketSla.objects.filter(created_at__gte=since, created_at__lt=until)
        for at, channel, team, replier, minutes in created.values_list(
            "created_at", "channel", "team_id_snapshot", "first_reply_by_id", "first_reply_minutes"
        ).iterator(chunk_size=5000):
            local = at.astimezone(zone)
            row = days.setdefault((local.date(), channel, team), _DayRow())
            row.created += 1
            row.created_by_hour[local.hour] += 1
            if minutes is not None:
                row.first_reply(minutes)
                if replier is not None:
                    agents.setdefault((local.date(), channel, team, replier), _Measures())
                    agents[(local.date(), channel, team, replier)].first_reply(minutes)
        solved = TicketSla.objects.filter(solved_at__gte=since, solved_at__lt=until)
        for at, channel, team, solver, minutes, replies, reopens in solved.values_list(
            "solved_at",
            "channel",
            "team_id_snapshot",
            "solved_by_id",
            "resolution_minutes",
            "agent_replies",
            "reopens",
        ).iterator(chunk_size=5000):
            day = at.astimezone(zone).date()
            row = days.setdefault((day, channel, team), _DayRow())
            row.solved += 1
            row.one_touch += replies == 1
            row.reopened += reopens > 0
            if minutes is not None:
                row.resolution(minutes)
                if solver is not None:
                    agents.setdefault((day, channel, team, solver), _Measures()).resolution(minutes)
        for at, channel, team, agent, good in csat_rows(since, until):
            day = at.astimezone(zone).date()
            days.setdefault((day, channel, team), _DayRow()).rating(good)
            if agent is not None:
                agents.setdefault((day, channel, team, agent), _Measures()).rating(good)
        _delete_days(first, stop)
        DailyRollup.objects.bulk_create(
            (
                DailyRollup(day=key[0], channel=key[1], team_id=key[2], **vars(row))
                for key, row in days.items()
            ),
            batch_size=2000,
        )
        AgentDailyRollup.objects.bulk_create(
            (
                AgentDailyRollup(
                    day=key[0], channel=key[1], team_id=key[2], agent_id=key[3], **vars(row)
                )
                for key, row in agents.items()
            ),
            batch_size=2000,
        )
        totals: dict[tuple, _Measures] = {}
        for (day, _channel, _team, agent), row in agents.items():
            total = totals.setdefault((day, agent), _Measures())
            for name in ("first_replies", "resolutions", "csat_responses", "csat_good"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
            total.first_reply_minutes += row.first_reply_minutes
            total.resolution_minutes += row.resolution_minutes
            merge_histogram(total.first_reply_buckets, row.first_reply_buckets)
            merge_histogram(total.resolution_buckets, row.resolution_buckets)
        AgentDayTotal.objects.bulk_create(
            (
                AgentDayTotal(day=key[0], agent_id=key[1], **vars(row))
                for key, row in totals.items()
            ),
            batch_size=2000,
        )
    return len(days) + len(agents) + len(totals)


def backfill(*, since: dt.datetime | None = None, step_days: int = 31, progress=None) -> int:
    """Fill what migration 0005 added on a history that already has its hourly rows: the day
    rows (rebuilt a month per transaction) and the CSAT counts of the hourly rows (one
    statement). Much cheaper than `rollups.rebuild_all` on millions of tickets, which rewrites
    every hourly row too; gives the same rows."""
    from .rollups import _first_fact

    first = since or _first_fact()
    if first is None:
        return 0
    written = rebuild_days_between(
        local_day(first), local_day(timezone.now()), step_days=step_days, progress=progress
    )
    return written + refresh_hourly_csat(since=since)


def rebuild_days_between(
    first: dt.date, last: dt.date, *, step_days: int = 31, progress=None
) -> int:
    """Rebuild every day from `first` to `last` inclusive, a month per transaction."""
    day, stop, written = first, last + DAY, 0
    while day < stop:
        until = min(day + dt.timedelta(days=step_days), stop)
        written += rebuild_day_range(day, until)
        if progress:
            progress(day, written)
        day = until
    return written


def refresh_hourly_csat(*, since: dt.datetime | None = None) -> int:
    """Recount the CSAT columns of the hourly rows from the responses (inserting rows for
    hours that had ratings and nothing else); returns the rows touched."""
    if not apps.is_installed("feedback"):
        return 0
    from .models import HourlyRollup

    responses = apps.get_model("feedback", "SurveyResponse")._meta.db_table
    hourly = HourlyRollup._meta.db_table
    start = since or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    hour = "date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {hourly} SET csat_responses = 0, csat_good = 0"  # noqa: S608 - names are ours
            " WHERE hour >= %s AND csat_responses > 0",
            [start],
        )
        cursor.execute(
            f"INSERT INTO {hourly} (hour, channel, team_id, agent_id, created, first_replies,"  # noqa: S608 - names are ours, values bound
            " first_reply_minutes, first_reply_buckets, solved, resolutions, resolution_minutes,"
            " resolution_buckets, one_touch, reopened, csat_responses, csat_good)"
            f" SELECT {hour}, channel, team_id, agent_id, 0, 0, 0, '{{}}', 0, 0, 0, '{{}}', 0, 0,"
            " COUNT(*), COUNT(*) FILTER (WHERE is_good)"
            f" FROM {responses} WHERE created_at >= %s GROUP BY 1, 2, 3, 4"
            " ON CONFLICT (hour, channel, team_id, agent_id) DO UPDATE SET"
            " csat_responses = EXCLUDED.csat_responses, csat_good = EXCLUDED.csat_good",
            [start],
        )
        return cursor.rowcount


def csat_rows(since: dt.datetime, until: dt.datetime) -> Iterable[tuple]:
    """(rated at, channel, team id, agent id, good) of the CSAT responses given in
    [since, until), as the feedback app attributed them at rating time; none without it."""
    if not apps.is_installed("feedback"):
        return ()
    responses = apps.get_model("feedback", "SurveyResponse").objects
    return (
        responses.filter(created_at__gte=since, created_at__lt=until)
        .values_list("created_at", "channel", "team_id", "agent_id", "is_good")
        .iterator(chunk_size=5000)
    )


def first_rating() -> dt.datetime | None:
    if not apps.is_installed("feedback"):
        return None
    responses = apps.get_model("feedback", "SurveyResponse").objects
    return responses.order_by("created_at").values_list("created_at", flat=True).first()


def mark_rating(instance, **kwargs) -> None:
    """post_save / post_delete of a CSAT response: its hour (and day) count it, or no longer."""
    from .rollups import mark_hours

    if instance.created_at is not None:
        mark_hours(instance.created_at)
