"""Reads for the manager dashboards; every function runs a fixed, small number of queries.

"Now" reads live ticket rows (open work is small and indexed by status). "Performance" reads only
the stored measurements (TicketSla, SlaClock): business minutes were measured when they happened,
so medians and p90s are PostgreSQL `percentile_cont` over stored numbers, never a replay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.apps import apps
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Min,
    Q,
    QuerySet,
)
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone

from helpdesk.models import User
from tickets import presence
from tickets.models import UNSOLVED_STATUSES, Channel, Status, Team, Ticket

from .models import SlaClock, TicketSla

ABOUT_TO_BREACH = dt.timedelta(hours=1)
LIST_LIMIT = 15
WAITING_STATUSES = (Status.NEW, Status.OPEN)


class PercentileCont(Aggregate):
    """percentile_cont(f) WITHIN GROUP (ORDER BY expr): PostgreSQL's interpolated percentile."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


# ---------------------------------------------------------------------------------- Now


@dataclass
class NowSnapshot:
    by_channel: list[dict]
    by_team: list[dict]
    totals: dict
    chats_waiting: int
    longest_chat_wait: dt.timedelta | None
    breached: list[Ticket]
    breached_count: int
    at_risk: list[Ticket]
    at_risk_count: int
    agent_load: list[User]
    agents_online: int = 0
    at: dt.datetime = field(default_factory=timezone.now)


def _open_counts():
    return {
        "open": Count("id"),
        "unassigned": Count("id", filter=Q(assignee__isnull=True)),
        "waiting": Count("id", filter=Q(status__in=WAITING_STATUSES)),
    }


def now_snapshot(*, now: dt.datetime | None = None) -> NowSnapshot:
    """Open work right now (7 queries)."""
    now = now or timezone.now()
    unsolved = Ticket.objects.filter(status__in=UNSOLVED_STATUSES)
    channel_labels = dict(Channel.choices)
    by_channel = [
        {**row, "label": channel_labels.get(row["channel"], row["channel"])}
        for row in unsolved.values("channel").annotate(**_open_counts()).order_by("-open")
    ]
    by_team = list(
        unsolved.values("team_id", team_name=F("team__name"))
        .annotate(**_open_counts())
        .order_by("-open", "team_name")
    )
    totals = {key: sum(row[key] for row in by_channel) for key in ("open", "unassigned", "waiting")}
    chats = unsolved.filter(
        channel=Channel.CHAT, status__in=WAITING_STATUSES, first_replied_at__isnull=True
    ).aggregate(count=Count("id"), oldest=Min("created_at"))
    breached = unsolved.filter(Q(sla_breached=True) | Q(sla_due_at__lte=now))
    at_risk = unsolved.filter(sla_due_at__gt=now, sla_due_at__lte=now + ABOUT_TO_BREACH)
    listed = ("assignee", "team")
    breached_rows = list(breached.select_related(*listed).order_by("sla_due_at")[:LIST_LIMIT])
    at_risk_rows = list(at_risk.select_related(*listed).order_by("sla_due_at")[:LIST_LIMIT])
    counts = Ticket.objects.aggregate(
        breached=Count(
            "id",
            filter=Q(status__in=UNSOLVED_STATUSES)
            & (Q(sla_breached=True) | Q(sla_due_at__lte=now)),
        ),
        at_risk=Count(
            "id",
            filter=Q(
                status__in=UNSOLVED_STATUSES,
                sla_due_at__gt=now,
                sla_due_at__lte=now + ABOUT_TO_BREACH,
            ),
        ),
    )
    load = list(
        User.objects.filter(is_active=True, role__in=["admin", "manager", "agent"])
        .annotate(
            open_count=Count(
                "assigned_tickets", filter=Q(assigned_tickets__status__in=UNSOLVED_STATUSES)
            ),
            waiting_count=Count(
                "assigned_tickets", filter=Q(assigned_tickets__status__in=WAITING_STATUSES)
            ),
        )
        .order_by("-open_count", "name", "email")
    )
    peak = max((user.open_count for user in load), default=0)
    # Who has a live inbox open (their socket was heard from in the last two minutes): they
    # are the ones who can take the waiting work now, so they come first.
    online = set(presence.agents_online())
    for user in load:
        user.load_share = round(100 * user.open_count / peak) if peak else 0
        user.is_online = user.pk in online
    load.sort(key=lambda user: not user.is_online)  # stable: load order kept within each
    return NowSnapshot(
        by_channel=by_channel,
        by_team=by_team,
        totals=totals,
        chats_waiting=chats["count"],
        longest_chat_wait=(now - chats["oldest"]) if chats["oldest"] else None,
        breached=breached_rows,
        breached_count=counts["breached"],
        at_risk=at_risk_rows,
        at_risk_count=counts["at_risk"],
        agent_load=load,
        agents_online=sum(1 for user in load if user.is_online),
        at=now,
    )


# -------------------------------------------------------------------------- Performance


@dataclass(frozen=True)
class Period:
    since: dt.datetime  # inclusive
    until: dt.datetime  # exclusive
    channel: str = ""
    team_id: int | None = None
    agent_id: int | None = None  # tickets the agent answered first, solved, or holds now
    tag: str = ""

    def previous(self) -> Period:
        """The same filters over the equally long stretch just before, for comparisons."""
        length = self.until - self.since
        return replace(self, since=self.since - length, until=self.since)

    @property
    def days(self) -> list[dt.date]:
        zone = timezone.get_current_timezone()
        first = self.since.astimezone(zone).date()
        last = (self.until - dt.timedelta(microseconds=1)).astimezone(zone).date()
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _measured(period: Period) -> QuerySet[TicketSla]:
    rows = TicketSla.objects.all()
    if period.channel:
        rows = rows.filter(channel=period.channel)
    if period.team_id:
        rows = rows.filter(team_id_snapshot=period.team_id)
    if period.agent_id:
        rows = rows.filter(
            Q(first_reply_by_id=period.agent_id)
            | Q(solved_by_id=period.agent_id)
            | Q(ticket__assignee_id=period.agent_id)
        )
    if period.tag:
        rows = rows.filter(ticket__tags__name=period.tag)
    return rows


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
    headline numbers of the period before for comparison."""
    measured = _measured(period)
    created = measured.filter(created_at__gte=period.since, created_at__lt=period.until)
    solved = measured.filter(solved_at__gte=period.since, solved_at__lt=period.until)
    zone = timezone.get_current_timezone()
    channel_labels = dict(Channel.choices)

    volume_by_channel = [
        {**row, "label": channel_labels.get(row["channel"], row["channel"])}
        for row in created.values("channel").annotate(count=Count("pk")).order_by("-count")
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
        _measured(before).filter(created_at__gte=before.since, created_at__lt=before.until),
        _measured(before).filter(solved_at__gte=before.since, solved_at__lt=before.until),
        sla_attainment(before, overall_only=True)["overall"],
    )
    csat = csat_summary(period)
    previous_csat = csat_summary(before)
    return {
        "overall": overall,
        "previous": previous,
        "changes": _changes(overall, previous, csat, previous_csat),
        "volume_by_channel": volume_by_channel,
        "volume_by_hour": volume_by_hour,
        # ISO weekday (Monday = 1) × hour → new tickets: where the staffing peaks are.
        "week_grid": week_grid,
        "by_channel": _breakdown(
            first_reply, solved, "channel", attainment["by_channel"], channel_labels
        ),
        "by_team": _breakdown(
            first_reply, solved, "team_id_snapshot", attainment["by_team"], _team_names()
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
        "one_touch_rate": _rate(solved_counts["one_touch"], solved_counts["solved"]),
        "reopen_rate": _rate(solved_counts["reopened"], solved_counts["solved"]),
        "attainment": attainment,
    }


def _change(now: float | None, before: float | None, *, lower_is_better: bool = False) -> dict:
    """Now minus before, and whether that is an improvement (None when either is missing)."""
    if now is None or before is None:
        return {"delta": None, "better": None, "before": before}
    delta = round(now - before, 1)
    better = None if delta == 0 else (delta < 0) == lower_is_better
    return {"delta": delta, "better": better, "before": before}


def _changes(overall: dict, previous: dict, csat: dict | None, previous_csat: dict | None):
    return {
        "tickets": _change(overall["tickets"], previous["tickets"]) | {"better": None},
        "first_reply_median": _change(
            overall["first_reply"]["median"],
            previous["first_reply"]["median"],
            lower_is_better=True,
        ),
        "resolution_median": _change(
            overall["resolution"]["median"],
            previous["resolution"]["median"],
            lower_is_better=True,
        ),
        "attainment": _change(overall["attainment"]["rate"], previous["attainment"]["rate"]),
        "one_touch": _change(overall["one_touch_rate"], previous["one_touch_rate"]),
        "reopen": _change(overall["reopen_rate"], previous["reopen_rate"], lower_is_better=True),
        "csat": _change((csat or {}).get("score"), (previous_csat or {}).get("score")),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _team_names() -> dict:
    return dict(Team.objects.values_list("id", "name"))


def _breakdown(first_reply, solved, group: str, attainment: dict, labels: dict) -> list[dict]:
    rows: dict = {}
    for stat in _time_stats(first_reply, "first_reply_minutes", group):
        rows.setdefault(stat[group], {})["first_reply"] = stat
    for stat in _time_stats(solved, "resolution_minutes", group):
        rows.setdefault(stat[group], {})["resolution"] = stat
    for key in attainment:
        rows.setdefault(key, {})
    return [
        {
            "key": key,
            "label": labels.get(key, key) if key is not None else None,
            "first_reply": values.get("first_reply"),
            "resolution": values.get("resolution"),
            "attainment": attainment.get(key),
        }
        for key, values in sorted(rows.items(), key=lambda item: str(labels.get(item[0], "")))
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
        key=lambda row: row["label"],
    )


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
    if period.agent_id:
        clocks = clocks.filter(
            Q(ticket__sla__first_reply_by_id=period.agent_id)
            | Q(ticket__sla__solved_by_id=period.agent_id)
            | Q(ticket__assignee_id=period.agent_id)
        )
    if period.tag:
        clocks = clocks.filter(ticket__tags__name=period.tag)
    judged = {"judged": Count("pk"), "met": Count("pk", filter=Q(breached_at__isnull=True))}

    def with_rate(row: dict) -> dict:
        return {**row, "rate": _rate(row["met"], row["judged"])}

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

    Three grouped queries instead of one count per day. A ticket that was solved and reopened
    counts by its current state (solved_at is cleared on reopen).
    """
    measured = _measured(period)
    zone = timezone.get_current_timezone()
    opening = (
        measured.filter(created_at__lt=period.since)
        .filter(Q(solved_at__isnull=True) | Q(solved_at__gte=period.since))
        .count()
    )
    created = dict(
        measured.filter(created_at__gte=period.since, created_at__lt=period.until)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    solved = dict(
        measured.filter(solved_at__gte=period.since, solved_at__lt=period.until)
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


def _feedback_filters(period: Period) -> dict:
    return {
        "since": period.since,
        "until": period.until,
        "channel": period.channel or None,
        "team_id": period.team_id,
        "agent_id": period.agent_id,
        "tag": period.tag or None,
    }


def csat_by_agent(period: Period) -> dict | None:
    """CSAT per agent id from the feedback app when it offers it; else None."""
    if not apps.is_installed("feedback"):
        return None
    try:
        from feedback.selectors import csat_by_agent as feedback_by_agent
    except ImportError:
        return None
    return feedback_by_agent(**_feedback_filters(period))


def csat_summary(period: Period) -> dict | None:
    """CSAT from the feedback app when it is installed and offers its summary; else None."""
    if not apps.is_installed("feedback"):
        return None
    try:
        from feedback.selectors import csat_summary as feedback_csat
    except ImportError:
        return None
    return feedback_csat(**_feedback_filters(period))
