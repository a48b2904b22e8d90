"""NPS campaigns: "How likely are you to recommend us?" asked of a segment of customers.

A campaign is defined (segment, sample, throttle, exclusions) as a draft, started by a manager,
and drawn when its start time comes: one `NpsRecipient` row per customer (unique per campaign),
holding the customer's segment values as they were when drawn, so results by segment do not
move when a customer changes organization later. The beat sweep sends queued recipients in
throttled batches; the customer's answer is kept on the same row.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Organization
from tickets.models import Channel, Message, Ticket

DEFAULT_QUESTION_JA = "当社を友人や同僚に薦める可能性はどのくらいありますか？"
DEFAULT_QUESTION_EN = "How likely are you to recommend us to a friend or colleague?"
SCORES = range(0, 11)
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


class SampleMode(models.TextChoices):
    ALL = "all", _("Everyone in the segment")
    PERCENT = "percent", _("A random percentage")
    COUNT = "count", _("A random number of customers")


class VipFilter(models.TextChoices):
    ANY = "", _("VIP or not")
    VIP = "vip", _("VIP customers only")
    NOT_VIP = "not_vip", _("Non-VIP customers only")


class NpsCampaign(models.Model):
    name = models.CharField(_("name"), max_length=120)
    question_ja = models.CharField(
        _("question (Japanese)"), max_length=300, default=DEFAULT_QUESTION_JA
    )
    question_en = models.CharField(
        _("question (English)"), max_length=300, default=DEFAULT_QUESTION_EN
    )
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    # --- the segment: every condition given must hold (empty = no condition) -----------------
    tags = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    organizations = models.ManyToManyField(Organization, blank=True, related_name="+")
    vip = models.CharField(max_length=10, choices=VipFilter.choices, blank=True, default="")
    languages = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    channels = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    active_within_days = models.PositiveIntegerField(null=True, blank=True)
    # --- sample, throttle, exclusions, schedule ----------------------------------------------
    sample_mode = models.CharField(
        max_length=10, choices=SampleMode.choices, default=SampleMode.ALL
    )
    sample_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    sample_count = models.PositiveIntegerField(null=True, blank=True)
    throttle_per_hour = models.PositiveIntegerField(default=200)
    exclude_recent_days = models.PositiveIntegerField(default=90)
    starts_at = models.DateTimeField(null=True, blank=True)
    link_valid_days = models.PositiveIntegerField(default=30)
    change_window_hours = models.PositiveIntegerField(default=72)
    # --- lifecycle ---------------------------------------------------------------------------
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="nps_campaign_due")]

    def __str__(self) -> str:
        return self.name

    def question(self, language: str) -> str:
        return self.question_ja if language == "ja" else self.question_en


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")


class RecipientSkip(models.TextChoices):
    BLOCKED = "blocked", _("The customer is blocked")
    ERASED = "erased", _("The customer's data was erased")
    OPTED_OUT = "opted_out", _("The customer unsubscribed from surveys")
    RECENT = "recent", _("The customer was asked for NPS recently")
    NO_CHANNEL = "no_channel", _("No channel to reach the customer")
    STOPPED = "stopped", _("The campaign was finished before sending")


class NpsRecipient(models.Model):
    campaign = models.ForeignKey(NpsCampaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED
    )
    skip_reason = models.CharField(max_length=20, choices=RecipientSkip.choices, blank=True)
    # The segment as it was when drawn (results by segment stay put).
    tags = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    vip = models.BooleanField(default=False)
    language = models.CharField(max_length=10)
    # Channel of the customer's last contact when drawn; the channel sent on once sent.
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Part of every link: a new value revokes all links given out before.
    nonce = models.CharField(max_length=32)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The answer (None until the customer answers).
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    changes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="nps_one_per_customer")
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "sent_at"], name="nps_recipient_status"),
            models.Index(fields=["customer", "sent_at"], name="nps_recipient_customer"),
            models.Index(fields=["campaign", "answered_at"], name="nps_recipient_answered"),
        ]

    def __str__(self) -> str:
        return f"NPS {self.campaign_id} → customer {self.customer_id}"

    @property
    def category(self) -> str:
        if self.score is None:
            return ""
        if self.score >= PROMOTER_MIN:
            return "promoter"
        return "detractor" if self.score <= DETRACTOR_MAX else "passive"


class SurveyOptOut(models.Model):
    """A customer who asked for no more NPS surveys (the link at the foot of every one)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="survey_opt_out"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"customer {self.customer_id}: no surveys"
