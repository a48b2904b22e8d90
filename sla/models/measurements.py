"""Each ticket's measured clocks: the historical record reports read.

The per-ticket rows (TicketSla, SlaClock) are written as events happen, so reports read stored
business minutes and never replay a ticket's history. SlaNotice: who was told about a clock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tickets.models import Ticket

from .calendars import BusinessCalendar
from .policies import Metric, SlaPolicy


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
