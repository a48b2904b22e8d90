"""Scheduled report mail: which period went to whom."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
