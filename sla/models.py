"""SLA: business calendars, policies with conditions and targets, and each ticket's measured clocks.

The per-ticket rows (TicketSla, SlaClock) are the historical record: they are written as events
happen, so reports read stored business minutes and never replay a ticket's history.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property, lru_cache

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Priority, Team, Ticket

from .business_time import BusinessSchedule


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo")
    # ISO 3166 code read by the `holidays` package ("JP", "US", "GB" …); blank: no public holidays.
    holiday_country = models.CharField(_("public holidays of"), max_length=2, blank=True)
    holiday_subdivision = models.CharField(_("region"), max_length=10, blank=True)
    is_default = models.BooleanField(_("default calendar"), default=False)
    teams = models.ManyToManyField(
        Team, blank=True, related_name="sla_calendars", verbose_name=_("teams")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="sla_one_default_calendar",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def schedule(self) -> BusinessSchedule:
        """The pure schedule; hours and closures must be prefetched or are loaded here."""
        weekly: dict[int, list[tuple[int, int]]] = {}
        for hours in self.hours.all():
            weekly.setdefault(hours.weekday, []).append((hours.start_minute, hours.end_minute))
        closed = {closure.date for closure in self.closures.all()}
        public = self.public_holidays

        def is_closed(day: dt.date) -> bool:
            return day in closed or (public is not None and day in public)

        return BusinessSchedule(time_zone=self.time_zone, weekly=weekly, is_closed=is_closed)

    @cached_property
    def public_holidays(self):
        if not self.holiday_country:
            return None
        return _public_holidays(self.holiday_country, self.holiday_subdivision or None)


@lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str | None):
    """One table per country and process: it fills in years as dates are asked about."""
    import holidays  # imported late: only processes that compute due times need it

    return holidays.country_holidays(country, subdiv=subdivision)


class BusinessHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # Monday = 0
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()  # < start: runs overnight

    class Meta:
        ordering = ["weekday", "start_minute"]

    def __str__(self) -> str:
        return f"{self.weekday}: {self.start_minute}-{self.end_minute}"


class Closure(models.Model):
    """A day the team does not work besides public holidays (year-end, company events)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closures"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_closure_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class Metric(models.TextChoices):
    FIRST_REPLY = "first_reply", _("First reply")
    NEXT_REPLY = "next_reply", _("Next reply")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """Tickets take the first active policy (by position) whose every condition matches."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policies",
        verbose_name=_("business calendar"),
    )
    # Conditions; an empty list means "any". All non-empty conditions must match.
    channels = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    priorities = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    teams = models.ManyToManyField(Team, blank=True, related_name="sla_policies")
    customer_tags = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    organizations = models.ManyToManyField(
        "customers.Organization", blank=True, related_name="sla_policies"
    )
    vip = models.BooleanField(_("VIP customers"), null=True, blank=True)  # None: any
    # Clocks stop while the ticket waits on the customer (statuses listed here).
    pause_statuses = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    # Statuses in which the agent owes the customer an update every N minutes.
    periodic_update_statuses = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    escalate_priority = models.CharField(
        _("on breach, raise priority to"), max_length=10, choices=Priority.choices, blank=True
    )
    escalate_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("on breach, reassign to team"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def channel_labels(self) -> list[str]:
        labels = dict(Channel.choices)
        return [str(labels.get(channel, channel)) for channel in self.channels]

    def priority_labels(self) -> list[str]:
        labels = dict(Priority.choices)
        return [str(labels.get(priority, priority)) for priority in self.priorities]


class PolicyTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField(_("business minutes"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority", "metric"], name="sla_target_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.priority} {self.metric}: {self.minutes}"


class TicketSla(models.Model):
    """One per ticket: the policy in force and the measurements reports read."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="sla"
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copied from the ticket so reports group without joining (kept current on every event).
    channel = models.CharField(max_length=20)
    team_id_snapshot = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    first_reply_by_id = models.IntegerField(null=True, blank=True)
    first_reply_minutes = models.FloatField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    solved_by_id = models.IntegerField(null=True, blank=True)  # the assignee when solved
    resolution_minutes = models.FloatField(null=True, blank=True)
    # The customer's oldest message no public reply answered yet (drives the next-reply clock).
    awaiting_since = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    agent_replies = models.PositiveIntegerField(default=0)
    reopens = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, default="new")
    status_since = models.DateTimeField(null=True, blank=True)
    # Business minutes spent in pause statuses so far, for the resolution measurement.
    paused_minutes = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["channel", "created_at"], name="sla_ticketsla_channel")]

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}"


class SlaClock(models.Model):
    """One run of one target on one ticket: started, due, and how it ended.

    A next reply or periodic update runs many times on a ticket (one row per run). A clock is
    running while `completed_at` is null; paused when `paused_at` is set (then `due_at` is null).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.FloatField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Cancelled runs (solved without a reply, target removed by a policy edit) are not judged.
    cancelled = models.BooleanField(default=False)
    business_minutes = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(completed_at__isnull=True, breached_at__isnull=True),
                name="sla_clock_running_due",
            ),
            models.Index(
                fields=["warn_at"],
                condition=models.Q(completed_at__isnull=True, warned_at__isnull=True),
                name="sla_clock_running_warn",
            ),
            models.Index(fields=["completed_at"], name="sla_clock_completed"),
            models.Index(fields=["ticket", "metric"], name="sla_clock_ticket_metric"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} on ticket {self.ticket_id}"

    @property
    def running(self) -> bool:
        return self.completed_at is None

    @property
    def met(self) -> bool:
        return self.completed_at is not None and not self.cancelled and self.breached_at is None


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportMailing(models.Model):
    """One scheduled report mailed to one manager: the row makes it at most once, so a beat
    that runs daily (and catches up after downtime) never sends a period twice."""

    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    period_start = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_report_mailings"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period_start", "recipient"], name="sla_report_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} report {self.period_start} to {self.recipient_id}"


class SlaNotice(models.Model):
    """The bell notification one person got for one clock's warning or breach.

    The unique key makes it at most once per clock run, person and kind, whatever the beat does
    (a tick that runs twice, late, or again after a crash). The row also keeps what the bell
    says: which target, when it was due, how long was left when the warning went out.
    """

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # tickets.models.NotificationKind.SLA_*
    notification = models.OneToOneField(
        "tickets.Notification", on_delete=models.CASCADE, related_name="sla_notice"
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    due_at = models.DateTimeField(null=True, blank=True)
    minutes_left = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "user", "kind"], name="sla_notice_once_per_clock"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of clock {self.clock_id} to {self.user_id}"


class HourlyRollup(models.Model):
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
    first_replies = models.PositiveIntegerField(default=0)
    first_reply_minutes = models.FloatField(default=0)
    first_reply_buckets = ArrayField(models.PositiveIntegerField(), default=list)
    solved = models.PositiveIntegerField(default=0)
    resolutions = models.PositiveIntegerField(default=0)
    resolution_minutes = models.FloatField(default=0)
    resolution_buckets = ArrayField(models.PositiveIntegerField(), default=list)
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

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel} team {self.team_id} agent {self.agent_id}"


class ClockRollup(models.Model):
    """Judged SLA clock runs per UTC hour × channel × team × target: met or breached.

    A run counts in the hour it was decided: met when it completed, breached when it completed
    late — or, while it still runs, in the hour it breached (as the dashboard always counted).
    """

    hour = models.DateTimeField()
    channel = models.CharField(max_length=20)
    team_id = models.IntegerField(null=True, blank=True)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    met = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "team_id", "metric"],
                name="sla_clock_rollup_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel} {self.metric}"


class RollupDirtyHour(models.Model):
    """An hour whose rollups an event changed: written in the event's own transaction, read and
    deleted by the rollup task once the hour is rebuilt.

    Insert-only on purpose (no unique key): concurrent ticket writes in the same hour never
    wait for each other; the task folds the duplicates.
    """

    hour = models.DateTimeField()

    def __str__(self) -> str:
        return f"dirty {self.hour:%Y-%m-%d %H}h"
