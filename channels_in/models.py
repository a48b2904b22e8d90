"""Raw inbound events (stored before anything else happens) and outbound deliveries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Message


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class InboundEvent(models.Model):
    kind = models.CharField(_("channel"), max_length=20, db_index=True)
    account_id = models.CharField(max_length=64, blank=True)
    # Message-ID, provider event id, form submission token, or a hash of the payload.
    idempotency_key = models.CharField(max_length=500)
    payload = models.BinaryField()
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_events"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "idempotency_key"], name="inbound_event_unique_key"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="inbound_pending")]

    def __str__(self) -> str:
        return f"{self.kind} event {self.pk} ({self.status})"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundDelivery(models.Model):
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="delivery")
    kind = models.CharField(max_length=20)
    recipient = models.CharField(max_length=320)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    provider_id = models.CharField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_pending")]
        verbose_name_plural = _("outbound deliveries")

    def __str__(self) -> str:
        return f"{self.kind} delivery {self.pk} ({self.status})"
