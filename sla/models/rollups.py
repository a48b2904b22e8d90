"""Dashboard rollups: derived rows the dashboards sum (sla.rollups keeps them current).

Three grains of the same facts, each read where it is cheapest:
- DailyRollup: day (the site's time zone) × channel × team — totals, the channel and team
  breakdowns, the staffing heatmap (created per local hour) and the backlog trend;
- AgentDailyRollup: day × channel × team × agent — the per-agent table (AgentDayTotal: the
  same without channel and team, for the unfiltered table);
- HourlyRollup: UTC hour × channel × team × agent — periods whose bounds are not midnights of
  the site's time zone (a viewer with their own zone).
- TagHourlyRollup / TagDailyRollup / TagClockRollup: the same facts per tag the ticket carries
  *now* (a tag filter means "tickets tagged X", read when the report is drawn); a tag added or
  removed re-marks every hour the ticket is counted in.
Day rows are sums of the hourly rows of the day (rollup_days.py), never a second ticket scan.
CSAT responses are counted too, as attributed when the customer rated (channel, team, agent,
in the hour or day of the rating), so the dashboards never scan responses.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from .policies import Metric


class TimeMeasures(models.Model):
    """First reply and resolution business minutes: count, sum and a histogram over
    `rollups.BUCKET_BOUNDS` (medians and p90 are estimated from it); CSAT counts."""

    first_replies = models.PositiveIntegerField(default=0)
    first_reply_minutes = models.FloatField(default=0)
    first_reply_buckets = ArrayField(models.PositiveIntegerField(), default=list)
    resolutions = models.PositiveIntegerField(default=0)
    resolution_minutes = models.FloatField(default=0)
    resolution_buckets = ArrayField(models.PositiveIntegerField(), default=list)
    csat_responses = models.PositiveIntegerField(default=0)
    csat_good = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class HourlyRollup(TimeMeasures):
    """What the Performance dashboard sums: one row per UTC hour × channel × team × agent.

    Two kinds of facts share a row, each counted in the hour it belongs to: tickets *created*
    in the hour (with their first reply, attributed to the agent who replied first), and
    tickets *solved* in the hour (attributed to the assignee who solved). Summing rows over any
    set of agents gives the channel and team totals. Times are business minutes: a count, a sum
    and a histogram over `rollups.BUCKET_BOUNDS`, from which medians and p90 are estimated.

    Rows are derived data: `rollups.rebuild_hours` recomputes whole hours from TicketSla, so
    rebuilding an hour twice, or after a crash, gives the same rows.
    """

    hour = models.DateTimeField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    agent_id = models.IntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    one_touch = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "team_id", "agent_id"],
                name="sla_hourly_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["agent_id", "hour"], name="sla_hourly_agent_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel} team {self.team_id} agent {self.agent_id}"


class DailyRollup(TimeMeasures):
    """One row per day × channel × team: the HourlyRollup facts summed over agents, by the
    day of the site's time zone (settings.TIME_ZONE) they happened in.

    `created_by_hour[h]`: tickets created in local hour h of the day (the staffing heatmap and
    the hour chart). Rebuilt whole per day from TicketSla (`rollups.rebuild_days`); after a
    change of TIME_ZONE, `manage.py rebuild_rollups` recomputes the days.
    """

    day = models.DateField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    created_by_hour = ArrayField(models.PositiveIntegerField(), default=list)
    solved = models.PositiveIntegerField(default=0)
    one_touch = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "channel", "team_id"],
                name="sla_daily_rollup_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} team {self.team_id}"


class DayCounters(TimeMeasures):
    """What a day row counts besides the time measures (the hourly row's counters, and new
    tickets per local hour for the staffing heatmap)."""

    created = models.PositiveIntegerField(default=0)
    created_by_hour = ArrayField(models.PositiveIntegerField(), default=list)
    solved = models.PositiveIntegerField(default=0)
    one_touch = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class AgentDailyRollup(DayCounters):
    """One row per day × channel × team × agent: tickets created that the agent answered first
    (with their first reply time), tickets the agent solved, CSAT given to the agent — the
    agent's work, which is what the `agent` filter of the Performance page reads."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    agent_id = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "channel", "team_id", "agent_id"],
                name="sla_agent_daily_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["agent_id", "day"], name="sla_agent_daily_agent_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} team {self.team_id} agent {self.agent_id}"


class AgentDayTotal(TimeMeasures):
    """AgentDailyRollup summed over channels and teams: one row per day × agent, what the
    per-agent table reads when no channel or team filter is set (a tenth of the rows)."""

    day = models.DateField()
    agent_id = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "agent_id"], name="sla_agent_day_total_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} agent {self.agent_id}"


class ClockRollup(models.Model):
    """Judged SLA clock runs per UTC hour × channel × team × target × agent: met or breached.

    A run counts in the hour it was decided: met when it completed, breached when it completed
    late — or, while it still runs, in the hour it breached (as the dashboard always counted).
    `agent_id` is the ticket's assignee now: an agent's attainment is that of the tickets they
    hold (an assignment re-marks the ticket's judged hours).
    """

    hour = models.DateTimeField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    agent_id = models.IntegerField(null=True, blank=True)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    met = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "team_id", "metric", "agent_id"],
                name="sla_clock_rollup_agent_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["agent_id", "hour"], name="sla_clock_agent_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel} {self.metric}"


class TagHourlyRollup(TimeMeasures):
    """HourlyRollup per tag: one row per UTC hour × channel × team × tag × agent for the tickets
    carrying the tag now (a ticket with three tags counts in three rows). The agent key makes
    the per-agent table and a tag + agent filter answerable; it costs few rows, since a tag's
    rows are already almost one per ticket."""

    hour = models.DateTimeField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    tag_id = models.IntegerField()
    agent_id = models.IntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    one_touch = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "team_id", "tag_id", "agent_id"],
                name="sla_tag_hourly_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["tag_id", "hour"], name="sla_tag_hourly_tag_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel} team {self.team_id} tag {self.tag_id}"


class TagDailyRollup(DayCounters):
    """TagHourlyRollup summed by day of the site's time zone: day × channel × team × tag ×
    agent."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    tag_id = models.IntegerField()
    agent_id = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "channel", "team_id", "tag_id", "agent_id"],
                name="sla_tag_daily_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["tag_id", "day"], name="sla_tag_daily_tag_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} team {self.team_id} tag {self.tag_id}"


class TagDayTotal(DayCounters):
    """TagDailyRollup summed over agents: day × channel × team × tag, what a tag filter reads
    for its totals, breakdowns and trend (a third of the rows; the agent table reads
    TagDailyRollup)."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    tag_id = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "channel", "team_id", "tag_id"],
                name="sla_tag_day_total_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["tag_id", "day"], name="sla_tag_day_total_tag_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} team {self.team_id} tag {self.tag_id}"


class TagClockRollup(models.Model):
    """ClockRollup per tag the ticket carries now: UTC hour × channel × team × tag × target ×
    assignee."""

    hour = models.DateTimeField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    tag_id = models.IntegerField()
    agent_id = models.IntegerField(null=True, blank=True)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    met = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "team_id", "tag_id", "metric", "agent_id"],
                name="sla_tag_clock_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["tag_id", "hour"], name="sla_tag_clock_tag_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel} tag {self.tag_id} {self.metric}"


class RollupDirtyHour(models.Model):
    """An hour whose rollups an event changed: written in the event's own transaction, read and
    deleted by the rollup task once the hour is rebuilt.

    Insert-only on purpose (no unique key): concurrent ticket writes in the same hour never
    wait for each other; the task folds the duplicates.
    """

    hour = models.DateTimeField()

    def __str__(self) -> str:
        return f"dirty {self.hour:%Y-%m-%d %H}h"
