"""Keeping the dashboard rollups in step with the measurements.

Every SLA event marks the hours it changed (`mark_hours`, inside the event's transaction);
the minute task rebuilds those hours whole from the stored per-ticket measurements
(`process_dirty_hours`, rollup_hours.py), then re-sums the days they fall in from the hourly
rows (rollup_days.py). Rebuilding instead of adding deltas is what makes it safe: an event
replayed, a task run twice, a crash between steps — each only rebuilds an hour again and gets
the same rows. `manage.py rebuild_rollups` does the same for any stretch of history.

What a ticket counts in is keyed by its channel, team, first replier and solver (stored
facts), its assignee (clocks) and its current tags: a change of any of them re-marks every
hour the ticket is counted in (`mark_ticket_changes`, `mark_ticket_relabelled`; and
`mark_tags_changed` on every write of a ticket's tags, also those no ticket event announces).
Histograms and their buckets: histograms.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import Max

from . import rollup_days
from .histograms import BUCKET_BOUNDS, add_to_histogram, bucket_of  # noqa: F401 - re-exported
from .models import RollupDirtyHour, SlaClock, TicketSla
from .rollup_hours import HOUR, delete_hours_before, hour_of, rebuild_hours

__all__ = ["HOUR", "hour_of", "rebuild_hours"]
DIRTY_BATCH = 5000
DAYS_PER_TRANSACTION = 31
RELABEL_CHUNK = 10_000


def mark_hours(*moments: dt.datetime | None) -> None:
    """Note that the rollups of these moments' hours changed (one INSERT, never waits)."""
    hours = {hour_of(moment) for moment in moments if moment is not None}
    if hours:
        RollupDirtyHour.objects.bulk_create(RollupDirtyHour(hour=hour) for hour in sorted(hours))


def process_dirty_hours(*, limit: int = DIRTY_BATCH) -> int:
    """Rebuild the hours events marked, and their days; returns how many hours were rebuilt.

    Consecutive hours are rebuilt together (one set of queries per run of hours, not per
    hour). The marks are taken FOR UPDATE SKIP LOCKED and deleted in the rebuild's
    transaction, so two workers share the work and a crash leaves the marks for the next run.
    A transaction rebuilds the hours of at most DAYS_PER_TRANSACTION UTC days (each takes an
    advisory lock until it ends): marks spread over years, after a tag went on or off
    thousands of old tickets, are worked off in several transactions, not one too big to
    lock."""
    rebuilt = 0
    while True:
        hours, more = _process_dirty_batch(limit)
        rebuilt += hours
        if not more:
            return rebuilt


def _process_dirty_batch(limit: int) -> tuple[int, bool]:
    """(hours rebuilt, whether marks of this batch were left for another transaction)."""
    with transaction.atomic():
        marks = list(
            RollupDirtyHour.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "hour")[:limit]
        )
        if not marks:
            return 0, False
        hours = sorted({hour for _, hour in marks})
        days = sorted({int(hour.timestamp()) // 86400 for hour in hours})
        more = len(days) > DAYS_PER_TRANSACTION
        if more:
            last = days[DAYS_PER_TRANSACTION - 1]
            hours = [hour for hour in hours if int(hour.timestamp()) // 86400 <= last]
            taken = set(hours)
            marks = [(pk, hour) for pk, hour in marks if hour in taken]
        start = previous = hours[0]
        for hour in hours[1:]:
            if hour != previous + HOUR:
                rebuild_hours(start, previous + HOUR)
                start = hour
            previous = hour
        rebuild_hours(start, previous + HOUR)
        rollup_days.rebuild_days(rollup_days.days_of_hours(hours))
        with connection.cursor() as cursor:  # plain DELETE: no fetch-then-delete collector
            cursor.execute(
                f"DELETE FROM {RollupDirtyHour._meta.db_table} WHERE id = ANY(%s)",  # noqa: S608 - our table name, values bound
                [[pk for pk, _ in marks]],
            )
    return len(hours), more


def rebuild_all(
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    tags_only: bool = False,
    step: dt.timedelta = dt.timedelta(days=1),
    progress=None,
) -> int:
    """Rebuild every hour from `since` (default: the first fact) to `until` (default: the last
    fact or now, whichever is later: data stamped ahead of this clock is rebuilt too), a day
    per transaction, then the days they fall in; returns the rows written. `tags_only`: only
    the per-tag tables (filling their history once, the other tables left as they are)."""
    from django.utils import timezone

    first = since or _first_fact()
    if first is None:
        return 0
    last = until or max(filter(None, (_last_fact(), timezone.now())))
    start = hour_of(first)
    end = (
        hour_of(last) + HOUR
        if until is None
        else hour_of(until - dt.timedelta(microseconds=1)) + HOUR
    )
    written = 0
    if since is None and not tags_only:
        # Rows older than every measurement belong to tickets deleted since: drop them too.
        delete_hours_before(start)
        rollup_days.drop_days_before(rollup_days.local_day(start))
    first_day = rollup_days.local_day(start)
    while start < end:
        stop = min(start + step, end)
        written += rebuild_hours(start, stop, tags_only=tags_only)
        if progress:
            progress(start, written)
        start = stop
    last_day = rollup_days.local_day(end - dt.timedelta(microseconds=1))
    return written + rollup_days.rebuild_days_between(first_day, last_day, tags_only=tags_only)


def _first_fact() -> dt.datetime | None:
    """The earliest moment any rollup counts: the first measured ticket or the first rating."""
    firsts = [TicketSla.objects.order_by("created_at").values_list("created_at", flat=True).first()]
    first_rating = rollup_days.first_rating()
    return min((moment for moment in (*firsts, first_rating) if moment), default=None)


def _last_fact() -> dt.datetime | None:
    """The latest moment any rollup counts (a creation, solve, judged clock or rating)."""
    facts = TicketSla.objects.aggregate(created=Max("created_at"), solved=Max("solved_at"))
    clocks = SlaClock.objects.aggregate(completed=Max("completed_at"), breached=Max("breached_at"))
    moments = [*facts.values(), *clocks.values(), rollup_days.last_rating()]
    return max((moment for moment in moments if moment), default=None)


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
    mark_hours(
        *ticket_change_moments(
            state,
            before,
            lambda: SlaClock.objects.filter(ticket_id=state.ticket_id).values_list(
                "completed_at", "breached_at"
            ),
        )
    )


def ticket_change_moments(
    state: TicketSla, before: tuple | None, judged: Callable[[], Iterable[tuple]]
) -> list[dt.datetime | None]:
    """The hours `mark_ticket_changes` marks; `judged()` gives the (completed, breached) pairs
    of the ticket's clocks, asked for only when the ticket changed channel or team (the batch
    path has them in memory, the single path reads them)."""
    if before is None:
        return [state.created_at, state.solved_at]
    after = ticket_facts(state)
    if after == before:
        return []
    moved = after[:2] != before[:2]  # the channel or team
    moments: list[dt.datetime | None] = []
    if moved or after[2:4] != before[2:4]:
        moments.append(state.created_at)
    if moved or after[4:] != before[4:]:
        moments += [before[4], state.solved_at]
    if moved:
        for completed, breached in judged():
            moments += [completed, breached]
    return moments


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


def mark_ticket_relabelled(ticket_id: int, *, tags: bool) -> None:
    """A ticket's tags (`tags=True`) or assignee changed: mark the hours its judged clocks
    count in (clock rows are keyed by assignee and tag) and, for tags, every hour its facts
    count in too (created, solved, rated) — a tag filter reads the tags tickets carry now."""
    mark_hours(*relabel_moments([ticket_id], tags=tags))


def relabel_moments(ticket_ids, *, tags: bool) -> list[dt.datetime | None]:
    """The moments the tickets count in under their assignee (judged clocks) and, for
    `tags`, under their tags (clocks, creation, solve, ratings): three queries per
    RELABEL_CHUNK tickets (a tag cleared off 100,000 tickets stays under the bound
    parameters' limit)."""
    ids = list(ticket_ids)
    moments: list[dt.datetime | None] = []
    for first in range(0, len(ids), RELABEL_CHUNK):
        chunk = ids[first : first + RELABEL_CHUNK]
        for completed, breached in SlaClock.objects.filter(ticket_id__in=chunk).values_list(
            "completed_at", "breached_at"
        ):
            moments += [completed, breached]
        if tags:
            facts = TicketSla.objects.filter(ticket_id__in=chunk)
            moments += [
                moment for row in facts.values_list("created_at", "solved_at") for moment in row
            ]
            moments += rollup_days.rating_moments(chunk)
    return moments


def mark_tags_changed(sender, *, instance, action: str, reverse: bool, pk_set=None, **kwargs):
    """m2m_changed of Ticket.tags, whoever wrote it: a ticket edit, an automation, a merge
    (which adds the source's tags to the target without a ticket event), the admin. The tag
    rows count the tags a ticket carries now, so every hour the ticket counts in is marked.

    Ticket events that change tags mark them as well (`mark_ticket_relabelled` from the
    receiver): marking twice only rebuilds the same hours once."""
    if action in ("post_add", "post_remove"):
        if not pk_set:
            return
        ticket_ids = list(pk_set) if reverse else [instance.pk]
    elif action == "pre_clear":
        if reverse:  # a tag taken off every ticket: the tickets it is on, before it goes
            ticket_ids = list(
                sender.objects.filter(tag_id=instance.pk).values_list("ticket_id", flat=True)
            )
        else:
            ticket_ids = [instance.pk]
    else:
        return
    if ticket_ids:
        mark_hours(*relabel_moments(ticket_ids, tags=True))
