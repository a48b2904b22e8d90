"""SLA policies: ordered conditions, and the targets per priority and metric."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Priority, Team

from .calendars import BusinessCalendar


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
