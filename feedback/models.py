"""CSAT surveys and their responses, follow-up care after solve, and feedback items.

A survey is one row per ticket: scheduled when the ticket is solved, sent through the ticket's
own channel by the beat sweep, answered on a public page through a signed link. The response
keeps who it is about (agent, team, channel) as they were when the customer rated, so reports
do not move when a ticket is reassigned later.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from tickets.models import Channel, Message, Team, Ticket


class Scale(models.TextChoices):
    GOOD_BAD = "good_bad", _("Good / bad")
    FIVE = "five", _("1–5 stars")


class SurveySettings(models.Model):
    """How (and whether) tickets of one channel are surveyed; a missing row means defaults."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, unique=True)
    enabled = models.BooleanField(_("send surveys"), default=True)
    delay_minutes = models.PositiveIntegerField(
        _("delay after solve (minutes)"),
        default=60,
        help_text=_("A ticket reopened within this time is not surveyed."),
    )
    scale = models.CharField(
        _("rating scale"), max_length=10, choices=Scale.choices, default=Scale.GOOD_BAD
    )
    question_ja = models.CharField(
        _("question (Japanese)"), max_length=300, default="今回のサポートはいかがでしたか？"
    )
    question_en = models.CharField(
        _("question (English)"),
        max_length=300,
        default="How would you rate the support you received?",
    )
    reasons_ja = models.TextField(
        _("reasons for a bad rating (Japanese)"),
        blank=True,
        default="回答が遅かった\n問題が解決しなかった\n対応が丁寧でなかった\nその他",
        help_text=_("One per line, in the same order as the English list."),
    )
    reasons_en = models.TextField(
        _("reasons for a bad rating (English)"),
        blank=True,
        default="The answer took too long\nMy issue was not resolved\n"
        "The agent was not helpful\nSomething else",
        help_text=_("One per line, in the same order as the Japanese list."),
    )
    resurvey_days = models.PositiveIntegerField(
        _("do not ask the same customer again within (days)"), default=7
    )
    link_valid_days = models.PositiveIntegerField(
        _("rating links are valid for (days)"), default=28
    )
    change_window_hours = models.PositiveIntegerField(
        _("a rating can be changed within (hours)"), default=72
    )
    bad_reopen = models.BooleanField(_("bad rating: reopen the ticket"), default=True)
    bad_notify = models.BooleanField(
        _("bad rating: notify the team (internal note and live alert)"), default=True
    )
    bad_tag = models.CharField(
        _("bad rating: add this tag"), max_length=60, blank=True, default="csat-bad"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel"]

    def __str__(self) -> str:
        return self.get_channel_display()

    def question(self, language: str) -> str:
        return self.question_ja if language == "ja" else self.question_en

    def reasons(self, language: str) -> list[str]:
        text = self.reasons_ja if language == "ja" else self.reasons_en
        return [line.strip() for line in text.splitlines() if line.strip()]

    def rating_values(self) -> list[int]:
        return [1, 0] if self.scale == Scale.GOOD_BAD else [5, 4, 3, 2, 1]


class SurveyStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")
    CANCELLED = "cancelled", _("Cancelled")


class SkipReason(models.TextChoices):
    DISABLED = "disabled", _("Surveys are off for this channel")
    BLOCKED = "blocked", _("The customer is blocked")
    SPAM = "spam", _("The ticket is marked as spam")
    RECENT = "recent", _("The customer was surveyed recently")
    NO_CHANNEL = "no_channel", _("Messages cannot be sent on this channel")


class Survey(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(
        max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.SCHEDULED
    )
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    language = models.CharField(max_length=10)
    scale = models.CharField(max_length=10, choices=Scale.choices)
    send_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Part of every link: a new value revokes all links given out before.
    nonce = models.CharField(max_length=32)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-send_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "sent_at"], name="survey_customer_sent"),
            # The minute task's queue of surveys due: only the few scheduled rows, not every
            # survey ever sent (a sequential scan of 140k rows each minute otherwise).
            models.Index(
                fields=["send_at"],
                name="survey_scheduled_due",
                condition=models.Q(status="scheduled"),
            ),
        ]

    def __str__(self) -> str:
        return f"survey for ticket {self.ticket_id}"


class SurveyResponse(models.Model):
    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="response")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="csat_responses")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="csat_responses")
    # Who and what the rating is about, as they were when the customer rated.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="csat_responses",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="csat_responses"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, db_index=True)
    # Ids of the macros agents applied in the conversation, so reports can say which answers
    # satisfy. Plain ids (not a relation): a macro deleted later leaves its history here.
    macro_ids = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    # Help-center articles agents linked in the conversation (/help/<lang>/a/<id>…), the same
    # way: which articles are part of answers that satisfy.
    article_ids = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    scale = models.CharField(max_length=10, choices=Scale.choices)
    # good/bad: 1 good, 0 bad; five: 1..5 (4 and 5 count as satisfied, the usual CSAT rule).
    rating = models.PositiveSmallIntegerField()
    is_good = models.BooleanField()
    reason = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    changes = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"rating {self.rating} on ticket {self.ticket_id}"

    @property
    def label(self) -> str:
        if self.scale == Scale.GOOD_BAD:
            return str(_("Good")) if self.is_good else str(_("Bad"))
        return f"{self.rating}/5"


class FollowUpTemplate(models.Model):
    """A "did the fix work?" message sent some days after solve, per team and/or channel."""

    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followup_templates",
        verbose_name=_("team"),
        help_text=_("Empty: every team."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty: every channel."),
    )
    delay_days = models.PositiveIntegerField(_("days after solve"), default=3)
    body_ja = models.TextField(
        _("message (Japanese)"),
        default="その後、問題は解決しましたか？下のリンクからお知らせください。",
    )
    body_en = models.TextField(
        _("message (English)"),
        default="Did our fix work for you? Let us know with one click below.",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class FollowUpKind(models.TextChoices):
    AFTER_SOLVE = "after_solve", _("After solve")
    SEND = "send", _("Message to the customer")
    REMIND = "remind", _("Reminder for me")


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class FollowUp(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(max_length=20, choices=FollowUpKind.choices)
    template = models.ForeignKey(
        FollowUpTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
    )
    body = models.TextField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED
    )
    nonce = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # For after-solve follow-ups: did the fix work? None until the customer answers.
    fixed = models.BooleanField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} follow-up on ticket {self.ticket_id}"


class ItemStatus(models.TextChoices):
    NEW = "new", _("New")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


CLOSING_STATUSES = (ItemStatus.DONE, ItemStatus.DECLINED)


class FeedbackItem(models.Model):
    """A product idea, feature request or policy complaint that customers raised in tickets."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.NEW
    )
    public_note = models.TextField(
        _("public note"),
        blank=True,
        help_text=_("Sent to every linked customer when the item is done or declined."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class FeedbackLink(models.Model):
    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="feedback_links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="feedback_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "ticket"], name="feedback_link_unique")
        ]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} → item {self.item_id}"


class FeedbackNotification(models.Model):
    """“You said, we did” told to one customer about one item: the row makes it exactly once."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="notifications")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10)  # the item status it announced
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "customer"], name="feedback_notified_once")
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} told to customer {self.customer_id}"


class FeedbackOptOut(models.Model):
    """A customer who asked not to hear "you said, we did" updates any more."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="feedback_opt_out"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"customer {self.customer_id} opted out"


# NPS campaigns live in their own module (this one is long enough); imported here so Django
# and every `from feedback.models import …` find them.
from .nps_models import (  # noqa: E402, F401
    CampaignStatus,
    NpsCampaign,
    NpsRecipient,
    RecipientSkip,
    RecipientStatus,
    SampleMode,
    SurveyOptOut,
    VipFilter,
)
