"""What every dashboard read shares: the period and its filters, PostgreSQL's percentile, rates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.db.models import Aggregate, FloatField, QuerySet
from django.utils import timezone

from tickets.models import Tag, Team

from ..models import TicketSla


class PercentileCont(Aggregate):
    """percentile_cont(f) WITHIN GROUP (ORDER BY expr): PostgreSQL's interpolated percentile."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass(frozen=True)
class Period:
    since: dt.datetime  # inclusive
    until: dt.datetime  # exclusive
    channel: str = ""
    team_id: int | None = None
    # The agent's work: tickets created that they answered first, tickets they solved, ratings
    # given to them, and SLA attainment of the tickets they hold now (the per-agent table's row).
    agent_id: int | None = None
    tag: str = ""  # tickets carrying the tag now, when the report is drawn
    tag_id: int | None = None  # the tag's id, looked up once per report (0: no such tag)

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


def with_tag_id(period: Period) -> Period:
    """The period with its tag's id (the rollups' key) looked up, once per report."""
    if not period.tag or period.tag_id is not None:
        return period
    tag = Tag.objects.filter(name=period.tag).values_list("pk", flat=True).first()
    return replace(period, tag_id=tag or 0)


def measured_rows(period: Period, role: str) -> QuerySet[TicketSla]:
    """The measured tickets a filter selects; `role` "created" or "solved" says which of the
    agent's tickets count: those they answered first (counted at creation) or those they solved.
    """
    rows = TicketSla.objects.all()
    if period.channel:
        rows = rows.filter(channel=period.channel)
    if period.team_id:
        rows = rows.filter(team_id_snapshot=period.team_id)
    if period.agent_id:
        agent = "first_reply_by_id" if role == "created" else "solved_by_id"
        rows = rows.filter(**{agent: period.agent_id})
    if period.tag:
        rows = rows.filter(ticket__tags__name=period.tag)
    return rows


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def team_names() -> dict:
    return dict(Team.objects.values_list("id", "name"))


def change(now: float | None, before: float | None, *, lower_is_better: bool = False) -> dict:
    """Now minus before, and whether that is an improvement (None when either is missing)."""
    if now is None or before is None:
        return {"delta": None, "better": None, "before": before}
    delta = round(now - before, 1)
    better = None if delta == 0 else (delta < 0) == lower_is_better
    return {"delta": delta, "better": better, "before": before}


def report_changes(overall: dict, previous: dict, csat: dict | None, previous_csat: dict | None):
    return {
        "tickets": change(overall["tickets"], previous["tickets"]) | {"better": None},
        "first_reply_median": change(
            overall["first_reply"]["median"],
            previous["first_reply"]["median"],
            lower_is_better=True,
        ),
        "resolution_median": change(
            overall["resolution"]["median"],
            previous["resolution"]["median"],
            lower_is_better=True,
        ),
        "attainment": change(overall["attainment"]["rate"], previous["attainment"]["rate"]),
        "one_touch": change(overall["one_touch_rate"], previous["one_touch_rate"]),
        "reopen": change(overall["reopen_rate"], previous["reopen_rate"], lower_is_better=True),
        "csat": change((csat or {}).get("score"), (previous_csat or {}).get("score")),
    }
