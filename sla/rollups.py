"""Keeping the dashboard rollups (HourlyRollup, ClockRollup) in step with the measurements.

Every SLA event marks the hours it changed (`mark_hours`, inside the event's transaction);
the minute task rebuilds those hours whole from the stored per-ticket measurements
(`process_dirty_hours`). Rebuilding instead of adding deltas is what makes it safe: an event
replayed, a task run twice, a crash between steps — each only rebuilds an hour again and gets
the same rows. `manage.py rebuild_rollups` does the same for any stretch of history.

Each dirty hour also dirties the day(s) of the site's time zone it falls in; those days'
DailyRollup and AgentDailyRollup rows are rebuilt whole in the same run (rollup_days.py).
Histograms and their buckets: histograms.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q

from . import rollup_days
from .histograms import BUCKET_BOUNDS, add_to_histogram, bucket_of  # noqa: F401 - re-exported
from .models import ClockRollup, HourlyRollup, RollupDirtyHour, SlaClock, TicketSla

HOUR = dt.timedelta(hours=1)
DIRTY_BATCH = 5000
_LOCK_CLASS = 0x5A1A  # pg_advisory_xact_lock(class, hour number): one rebuild of an hour at a time


def hour_of(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def mark_hours(*moments: dt.datetime | None) -> None:
    """Note that the rollups of these moments' hours changed (one INSERT, never waits)."""
    hours = {hour_of(moment) for moment in moments if moment is not None}
    if hours:
        RollupDirtyHour.objects.bulk_create(RollupDirtyHour(hour=hour) for hour in sorted(hours))


def process_dirty_hours(*, limit: int = DIRTY_BATCH) -> int:
    """Rebuild the hours events marked; returns how many hours were rebuilt.

    The marks are taken FOR UPDATE SKIP LOCKED and deleted in the rebuild's transaction, so two
    workers share the work and a crash leaves the marks for the next run.
    """
    with transaction.atomic():
        marks = list(
            RollupDirtyHour.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "hour")[:limit]
        )
        if not marks:
            return 0
        hours = sorted({hour for _, hour in marks})
        for hour in hours:
            rebuild_hours(hour, hour + HOUR)
        rollup_days.rebuild_days(rollup_days.days_of_hours(hours))
        RollupDirtyHour.objects.filter(pk__in=[pk for pk, _ in marks]).delete()
    return len(hours)


@dataclass
class _Row:
    created: int = 0
    first_replies: int = 0
    first_reply_minutes: float = 0.0
    first_reply_buckets: list[int] = field(default_factory=list)
    solved: int = 0
    resolutions: int = 0
    resolution_minutes: float = 0.0
    resolution_buckets: list[int] = field(default_factory=list)
    one_touch: int = 0
    reopened: int = 0
    csat_responses: int = 0
    csat_good: int = 0


_add = add_to_histogram


def rebuild_hours(since: dt.datetime, until: dt.datetime) -> int:
    """Recompute every rollup row of the whole hours in [since, until) from TicketSla and
    SlaClock; returns the number of rows written. Runs in one transaction per call."""
    since, until = hour_of(since), hour_of(until - dt.timedelta(microseconds=1)) + HOUR
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, n::int) FROM generate_series(%s, %s) n",
                [_LOCK_CLASS, int(since.timestamp()) // 3600, int(until.timestamp()) // 3600 - 1],
            )
        rows = _ticket_rows(since, until)
        clocks = _clock_rows(since, until)
        HourlyRollup.objects.filter(hour__gte=since, hour__lt=until).delete()
        ClockRollup.objects.filter(hour__gte=since, hour__lt=until).delete()
        HourlyRollup.objects.bulk_create(
            (
                HourlyRollup(
                    hour=key[0], channel=key[1], team_id=key[2], agent_id=key[3], **vars(row)
                )
                for key, row in rows.items()
            ),
            batch_size=2000,
        )
        ClockRollup.objects.bulk_create(
            (
                ClockRollup(
                    hour=key[0],
                    channel=key[1],
                    team_id=key[2],
                    metric=key[3],
                    met=met,
                    breached=late,
                )
                for key, (met, late) in clocks.items()
            ),
            batch_size=2000,
        )
    return len(rows) + len(clocks)


def _ticket_rows(since: dt.datetime, until: dt.datetime) -> dict[tuple, _Row]:
    rows: dict[tuple, _Row] = {}
    created = TicketSla.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
        "created_at", "channel", "team_id_snapshot", "first_reply_by_id", "first_reply_minutes"
    )
    for at, channel, team, replier, minutes in created.iterator(chunk_size=5000):
        row = rows.setdefault((hour_of(at), channel, team, replier), _Row())
        row.created += 1
        if minutes is not None:
            row.first_replies += 1
            row.first_reply_minutes += minutes
            _add(row.first_reply_buckets, minutes)
    solved = TicketSla.objects.filter(solved_at__gte=since, solved_at__lt=until).values_list(
        "solved_at",
        "channel",
        "team_id_snapshot",
        "solved_by_id",
        "resolution_minutes",
        "agent_replies",
        "reopens",
    )
    for at, channel, team, solver, minutes, replies, reopens in solved.iterator(chunk_size=5000):
        row = rows.setdefault((hour_of(at), channel, team, solver), _Row())
        row.solved += 1
        row.one_touch += replies == 1
        row.reopened += reopens > 0
        if minutes is not None:
            row.resolutions += 1
            row.resolution_minutes += minutes
            _add(row.resolution_buckets, minutes)
    for at, channel, team, agent, good in rollup_days.csat_rows(since, until):
        row = rows.setdefault((hour_of(at), channel, team, agent), _Row())
        row.csat_responses += 1
        row.csat_good += good
    return rows


def _clock_rows(since: dt.datetime, until: dt.datetime) -> dict[tuple, list[int]]:
    judged = SlaClock.objects.filter(
        Q(completed_at__gte=since, completed_at__lt=until, cancelled=False)
        | Q(completed_at__isnull=True, breached_at__gte=since, breached_at__lt=until)
    ).values_list(
        "completed_at",
        "breached_at",
        "metric",
        "ticket__sla__channel",
        "ticket__sla__team_id_snapshot",
    )
    counts: dict[tuple, list[int]] = {}
    for completed, breached, metric, channel, team in judged.iterator(chunk_size=5000):
        key = (hour_of(completed or breached), channel or "", team, metric)
        pair = counts.setdefault(key, [0, 0])
        pair[breached is not None] += 1
    return counts


def rebuild_all(
    *, since: dt.datetime | None = None, step: dt.timedelta = dt.timedelta(days=1), progress=None
) -> int:
    """Rebuild every hour from `since` (default: the first measured ticket) to now, a day per
    transaction; returns the rows written."""
    from django.utils import timezone

    first = since or _first_fact()
    if first is None:
        return 0
    start, end, written = hour_of(first), hour_of(timezone.now()) + HOUR, 0
    if since is None:
        # Rows older than every measurement belong to tickets deleted since: drop them too.
        HourlyRollup.objects.filter(hour__lt=start).delete()
        ClockRollup.objects.filter(hour__lt=start).delete()
        rollup_days.drop_days_before(rollup_days.local_day(start))
    first_day = rollup_days.local_day(start)
    while start < end:
        stop = min(start + step, end)
        written += rebuild_hours(start, stop)
        if progress:
            progress(start, written)
        start = stop
    return written + rollup_days.rebuild_days_between(first_day, rollup_days.local_day(end))


def _first_fact() -> dt.datetime | None:
    """The earliest moment any rollup counts: the first measured ticket or the first rating."""
    firsts = [TicketSla.objects.order_by("created_at").values_list("created_at", flat=True).first()]
    first_rating = rollup_days.first_rating()
    return min((moment for moment in (*firsts, first_rating) if moment), default=None)


# ------------------------------------------------------------------ marking what an event changed


def ticket_facts(state: TicketSla) -> tuple:
    """What of a ticket's measurements the rollups read (compared before and after an event)."""
    return (
        state.channel,
        state.team_id_snapshot,
        state.first_reply_by_id,
        state.first_reply_minutes,
        state.solved_at,
        state.solved_by_id,
        state.resolution_minutes,
        state.agent_replies,
        state.reopens,
    )


def mark_ticket_changes(state: TicketSla, before: tuple | None) -> None:
    """Mark the hours an event moved: the creation hour when a fact counted there changed
    (first reply), the old and new solve hours when a solve fact changed; and, when the ticket
    changed channel or team, both and every hour its clocks were judged in (they are grouped by
    the ticket's current channel and team). `before` None: the ticket is measured for the first
    time, one more ticket in its creation hour (and its solve hour).

    Marking only what changed keeps the minute task's work near "now": solving an old ticket
    dirties today, not also the day it was created."""
    if before is None:
        mark_hours(state.created_at, state.solved_at)
        return
    after = ticket_facts(state)
    if after == before:
        return
    moved = after[:2] != before[:2]
    moments: list[dt.datetime | None] = []
    if moved or after[2:4] != before[2:4]:
        moments.append(state.created_at)
    if moved or after[4:] != before[4:]:
        moments += [before[4], state.solved_at]
    if moved:
        for completed, breached in SlaClock.objects.filter(ticket_id=state.ticket_id).values_list(
            "completed_at", "breached_at"
        ):
            moments += [completed, breached]
    mark_hours(*moments)


def clock_facts(clocks: list[SlaClock]) -> dict[int, tuple]:
    return {clock.pk: (clock.completed_at, clock.breached_at, clock.cancelled) for clock in clocks}


def mark_clock_changes(clocks: list[SlaClock], before: dict[int, tuple]) -> None:
    """Mark the hours in which clocks were judged before and after an event, for the clocks
    the event started, completed, reopened or breached."""
    moments: list[dt.datetime | None] = []
    for clock in clocks:
        now = (clock.completed_at, clock.breached_at, clock.cancelled)
        was = before.get(clock.pk)
        if now != was:
            moments += [now[0], now[1], *(was[:2] if was else ())]
    mark_hours(*moments)
