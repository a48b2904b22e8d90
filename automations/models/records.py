"""The record of what automations did: runs, webhook deliveries, and the clocks and firings
that keep time automations exactly-once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from automations.models.rules import Automation, RoutingRule, WebhookEndpoint
from tickets.models import Status, Ticket


class RunKind(models.TextChoices):
    ROUTING = "routing", _("Routing")
    ASSIGNMENT = "assignment", _("Assignment")
    AUTOMATION = "automation", _("Automation")
    AUTO_REPLY = "auto_reply", _("Auto-reply")


class RunOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class AutomationRun(models.Model):
    """One thing routing, assignment or an automation did (or refused to do) to a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="automation_runs")
    kind = models.CharField(max_length=20, choices=RunKind.choices)
    automation = models.ForeignKey(
        Automation, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    name = models.CharField(max_length=120)  # kept when the rule is deleted
    event = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "-created_at"], name="automation_run_ticket")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} on {self.ticket_id}: {self.outcome}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One POST to a webhook: retried with backoff until sent or out of attempts."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    automation = models.ForeignKey(
        Automation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"webhook {self.endpoint_id} #{self.pk}: {self.status}"


class TicketClock(models.Model):
    """When a ticket's status last changed and when each side last wrote, for time automations.

    Kept by automations.engine from `ticket_changed`, so "pending for 3 days" or "no customer
    word for 2 days" is an index range scan here instead of a look at every message.
    """

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="automation_clock"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    status_since = models.DateTimeField()
    customer_message_at = models.DateTimeField(null=True, blank=True)
    agent_reply_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "status_since"], name="ticket_clock_status"),
            models.Index(fields=["customer_message_at"], name="ticket_clock_customer"),
            models.Index(fields=["agent_reply_at"], name="ticket_clock_agent"),
        ]

    def __str__(self) -> str:
        return f"clock of ticket {self.ticket_id}: {self.status} since {self.status_since}"


class TimedFiring(models.Model):
    """That a time automation fired on a ticket, and for which moment it counted from.

    One row per (automation, ticket), written in the same transaction as the automation's
    actions: a crash before commit leaves neither, a crash after leaves both, so a restart never
    fires twice. The rule fires again only once the ticket's `basis_at` (created, updated, last
    customer message …) moves past the one recorded here: the condition has reset.
    """

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    basis_at = models.DateTimeField()
    fired_at = models.DateTimeField()
    times = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["automation", "ticket"], name="timed_firing_unique")
        ]

    def __str__(self) -> str:
        return f"automation {self.automation_id} fired on {self.ticket_id} ({self.basis_at})"
