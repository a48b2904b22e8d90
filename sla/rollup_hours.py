"""Rebuilding whole UTC hours of the hourly rollups from the stored measurements.

One pass over the hours' facts fills four tables: HourlyRollup (per agent), ClockRollup (per
assignee), and their per-tag twins TagHourlyRollup and TagClockRollup (per tag the ticket
carries now). Facts, by the hour they belong to:
- a ticket *created* in the hour, with its first reply time (attributed to the first replier);
- a ticket *solved* in the hour, with its resolution time, one touch and reopen (to the solver);
- a CSAT rating given in the hour (as the feedback app attributed it when the customer rated);
- a clock run judged in the hour (met when completed, breached when it breached).

Rebuilding an hour twice, or after a crash, writes the same rows: each hour is deleted and
written whole in one transaction, under an advisory lock per hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Q

from .histograms import add_to_histogram
from .models import (
    ClockRollup,
    HourlyRollup,
    SlaClock,
    TagClockRollup,
    TagHourlyRollup,
    TicketSla,
)

HOUR = dt.timedelta(hours=1)
# pg_advisory_xact_lock(class, UTC day number): one rebuild of an hour at a time. A lock per
# day, not per hour: every lock held takes a slot of the server's shared lock table until the
# transaction ends, and a run over thousands of hours must not exhaust it.
_LOCK_CLASS = 0x5A1A
HOUR_TABLES = (HourlyRollup, ClockRollup, TagHourlyRollup, TagClockRollup)
TAG_HOUR_TABLES = (TagHourlyRollup, TagClockRollup)


def lock_days(since: dt.datetime, until: dt.datetime) -> tuple[int, int]:
    """The first and last UTC day numbers of the whole hours [since, until)."""
    return int(since.timestamp()) // 86400, (int(until.timestamp()) - 1) // 86400


def hour_of(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass
class HourRow:
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


def rebuild_hours(since: dt.datetime, until: dt.datetime, *, tags_only: bool = False) -> int:
    """Recompute every hourly row (all four tables) of the whole hours in [since, until);
    returns the number of rows written. One transaction per call. `tags_only`: only the
    per-tag tables (filling their history once, without rewriting the rest)."""
    since, until = hour_of(since), hour_of(until - dt.timedelta(microseconds=1)) + HOUR
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, n::int) FROM generate_series(%s, %s) n",
                [_LOCK_CLASS, *lock_days(since, until)],
            )
        facts = _Facts(since, until)
        rows, tag_rows = facts.ticket_rows()
        clocks, tag_clocks = facts.clock_rows()
        if tags_only:
            rows, clocks = {}, {}
            delete_hours(since, until, tables=TAG_HOUR_TABLES)
        else:
            delete_hours(since, until)
        _insert(HourlyRollup, ("hour", "channel", "team_id", "agent_id"), rows)
        _insert(
            TagHourlyRollup,
            ("hour", "channel", "team_id", "agent_id", "tag_id"),
            tag_rows,
            by="tag_id",
        )
        _insert_clocks(ClockRollup, ("agent_id",), clocks)
        _insert_clocks(TagClockRollup, ("agent_id", "tag_id"), tag_clocks)
    return len(rows) + len(tag_rows) + len(clocks) + len(tag_clocks)


def delete_hours(
    since: dt.datetime, until: dt.datetime | None = None, *, tables: tuple = HOUR_TABLES
) -> None:
    """Plain DELETEs: QuerySet.delete() fetches every row first whenever any app listens to
    deletes, which on the minute task's path costs more than the rebuild itself."""
    bounds, params = "hour >= %s", [since]
    if until is not None:
        bounds, params = "hour >= %s AND hour < %s", [since, until]
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {bounds}", params)  # noqa: S608 - names are ours, values bound


def delete_hours_before(moment: dt.datetime) -> None:
    with connection.cursor() as cursor:
        for model in HOUR_TABLES:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE hour < %s", [moment])  # noqa: S608 - names are ours, values bound


def copy_rows(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Write rows with COPY in its text format, built here in one buffer: no model instances,
    no bound-parameter lists, no per-value adapters — a fraction of what bulk_create costs
    this process and PostgreSQL for thousands of rows."""
    names = ", ".join(columns)
    text = "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
    if not text:
        return
    sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(text)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in COPY's text format (our rows hold ints, floats, strings, dates, lists)."""
    if value is None:
        return "\\N"
    if isinstance(value, list):
        return "{" + ",".join(map(str, value)) + "}"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):  # dates and aware datetimes
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return repr(value) if isinstance(value, float) else str(value)


def insert_rows(
    model, key_names: tuple[str, ...], rows: dict[tuple, object], *, by: str | None = None
) -> None:
    """Rows keyed by `key_names` whose values are dataclasses of the remaining columns.

    `by`: a key written together (sorted on it), so that a filter on it (one tag, one agent)
    reads a few heap pages per day instead of one per row."""
    if not rows:
        return
    value_names = tuple(vars(next(iter(rows.values()))))
    items = list(rows.items())
    if by is not None:
        index = key_names.index(by)
        items.sort(key=lambda item: (item[0][index] is None, item[0][index] or 0))
    copy_rows(
        model,
        key_names + value_names,
        (key + tuple(vars(row).values()) for key, row in items),
    )


_insert = insert_rows


def _insert_clocks(model, dimensions: tuple[str, ...], counts: dict[tuple, list[int]]) -> None:
    copy_rows(
        model,
        ("hour", "channel", "team_id", "metric", *dimensions, "met", "breached"),
        (key + (met, late) for key, (met, late) in counts.items()),
    )


class _Facts:
    """The facts of [since, until), read once: tickets created and solved, ratings, judged
    clocks, and the current tags of every ticket among them (one more query)."""

    def __init__(self, since: dt.datetime, until: dt.datetime):
        self.created = list(
            TicketSla.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
                "ticket_id",
                "created_at",
                "channel",
                "team_id_snapshot",
                "first_reply_by_id",
                "first_reply_minutes",
            )
        )
        self.solved = list(
            TicketSla.objects.filter(solved_at__gte=since, solved_at__lt=until).values_list(
                "ticket_id",
                "solved_at",
                "channel",
                "team_id_snapshot",
                "solved_by_id",
                "resolution_minutes",
                "agent_replies",
                "reopens",
            )
        )
        self.ratings = list(csat_rows(since, until))
        self.clocks = list(
            SlaClock.objects.filter(
                Q(completed_at__gte=since, completed_at__lt=until, cancelled=False)
                | Q(completed_at__isnull=True, breached_at__gte=since, breached_at__lt=until)
            ).values_list(
                "ticket_id",
                "completed_at",
                "breached_at",
                "metric",
                "ticket__sla__channel",
                "ticket__sla__team_id_snapshot",
                "ticket__assignee_id",
            )
        )
        ids = {
            row[0]
            for rows in (self.created, self.solved, self.ratings, self.clocks)
            for row in rows
        }
        self.tags = tags_of(ids)

    def ticket_rows(self, bucket=hour_of) -> tuple[dict[tuple, HourRow], dict[tuple, HourRow]]:
        """Rows keyed (bucket of the moment, channel, team, agent) and (…, agent, tag); `bucket`: the
        UTC hour by default, the local hour for day rows in a zone with a fractional offset."""
        rows: dict[tuple, HourRow] = {}
        tag_rows: dict[tuple, HourRow] = {}

        def targets(hour, channel, team, agent, ticket):
            yield rows.setdefault((hour, channel, team, agent), HourRow())
            for tag in self.tags.get(ticket, ()):
                yield tag_rows.setdefault((hour, channel, team, agent, tag), HourRow())

        for ticket, at, channel, team, replier, minutes in self.created:
            for row in targets(bucket(at), channel, team, replier, ticket):
                row.created += 1
                if minutes is not None:
                    row.first_replies += 1
                    row.first_reply_minutes += minutes
                    add_to_histogram(row.first_reply_buckets, minutes)
        for ticket, at, channel, team, solver, minutes, replies, reopens in self.solved:
            for row in targets(bucket(at), channel, team, solver, ticket):
                row.solved += 1
                row.one_touch += replies == 1
                row.reopened += reopens > 0
                if minutes is not None:
                    row.resolutions += 1
                    row.resolution_minutes += minutes
                    add_to_histogram(row.resolution_buckets, minutes)
        for ticket, at, channel, team, agent, good in self.ratings:
            for row in targets(bucket(at), channel, team, agent, ticket):
                row.csat_responses += 1
                row.csat_good += good
        return rows, tag_rows

    def clock_rows(self) -> tuple[dict[tuple, list[int]], dict[tuple, list[int]]]:
        counts: dict[tuple, list[int]] = {}
        tag_counts: dict[tuple, list[int]] = {}
        for ticket, completed, breached, metric, channel, team, assignee in self.clocks:
            key = (hour_of(completed or breached), channel or "", team, metric)
            late = breached is not None
            counts.setdefault((*key, assignee), [0, 0])[late] += 1
            for tag in self.tags.get(ticket, ()):
                tag_counts.setdefault((*key, assignee, tag), [0, 0])[late] += 1
        return counts, tag_counts


def tags_of(ticket_ids: Iterable[int]) -> dict[int, list[int]]:
    """{ticket id: [tag id, …]} of the tags the tickets carry now."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    from tickets.models import Ticket

    table = Ticket.tags.through._meta.db_table
    out: dict[int, list[int]] = {}
    with connection.cursor() as cursor:  # = ANY(array): one parameter, not thousands
        cursor.execute(
            f"SELECT ticket_id, tag_id FROM {table} WHERE ticket_id = ANY(%s)",  # noqa: S608 - names are ours, values bound
            [ids],
        )
        for ticket, tag in cursor.fetchall():
            out.setdefault(ticket, []).append(tag)
    return out


def csat_rows(since: dt.datetime, until: dt.datetime) -> Iterable[tuple]:
    """(ticket id, rated at, channel, team id, agent id, good) of the CSAT responses given in
    [since, until), as the feedback app attributed them at rating time; none without it."""
    if not apps.is_installed("feedback"):
        return ()
    responses = apps.get_model("feedback", "SurveyResponse").objects
    return responses.filter(created_at__gte=since, created_at__lt=until).values_list(
        "ticket_id", "created_at", "channel", "team_id", "agent_id", "is_good"
    )
