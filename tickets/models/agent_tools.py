"""Agent tools around tickets: saved views, macros, seen marks and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .core import Message, Priority, Status, Team, Ticket


class ViewSort(models.TextChoices):
    UPDATED_DESC = "-updated_at", _("Latest activity first")
    UPDATED_ASC = "updated_at", _("Oldest activity first")
    CREATED_DESC = "-created_at", _("Newest first")
    CREATED_ASC = "created_at", _("Oldest first")
    PRIORITY = "priority", _("Priority, most urgent first")
    SLA = "sla_due_at", _("SLA due soonest")


class SavedView(models.Model):
    """An agent's own inbox view (filters + sort), or one shared with every agent.

    `filters` holds only what `tickets.saved_views.clean_view_filters` accepted: lists of
    statuses, priorities, channels, team ids, assignees ("me", "none" or user ids), tag names,
    a customer and an organization id, and created/updated date ranges (ISO dates).
    """

    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    shared = models.BooleanField(_("shared with every agent"), default=False)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    sort = models.CharField(
        _("sort"), max_length=20, choices=ViewSort.choices, default=ViewSort.UPDATED_DESC
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name", "id"]

    def __str__(self) -> str:
        return self.name


class AssigneeAction(models.TextChoices):
    KEEP = "", _("Leave as is")
    ACTOR = "actor", _("The agent applying it")
    USER = "user", _("A chosen agent")
    NONE = "none", _("Unassign")


class Macro(models.Model):
    """A reusable reply with placeholders, plus changes to the ticket it is applied to."""

    name = models.CharField(_("name"), max_length=120)
    body = models.TextField(_("reply text"), blank=True, max_length=20_000)
    # Language variants: the one in the customer's language is inserted, else `body`.
    body_ja = models.TextField(_("Japanese reply text"), blank=True, max_length=20_000)
    body_en = models.TextField(_("English reply text"), blank=True, max_length=20_000)
    internal = models.BooleanField(_("add as internal note"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
    )
    shared = models.BooleanField(_("shared with every agent"), default=True)
    set_status = models.CharField(
        _("set status"), max_length=10, choices=Status.choices, blank=True
    )
    set_priority = models.CharField(
        _("set priority"), max_length=10, choices=Priority.choices, blank=True
    )
    add_tags = models.JSONField(_("add tags"), default=list, blank=True)
    assignee_action = models.CharField(
        _("assignee"), max_length=10, choices=AssigneeAction.choices, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="macros"
    )
    usage_count = models.PositiveIntegerField(default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_text(self) -> bool:
        return bool(self.body or self.body_ja or self.body_en)

    def body_for(self, language: str) -> str:
        """The variant in `language` ("ja", "en", "ja-JP" …) when written, else `body`, else
        whichever variant there is."""
        code = (language or "").lower().split("-")[0].split("_")[0]
        variant = {"ja": self.body_ja, "en": self.body_en}.get(code, "")
        return variant or self.body or self.body_ja or self.body_en

    @property
    def has_actions(self) -> bool:
        return bool(
            self.set_status
            or self.set_priority
            or self.add_tags
            or self.assignee_action
            or self.team_id
        )


class TicketSeen(models.Model):
    """When an agent last opened a ticket: newer customer activity makes the row unread."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="seen_by")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ticket"], name="ticket_seen_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.ticket_id} at {self.seen_at:%Y-%m-%d %H:%M}"


class NotificationKind(models.TextChoices):
    MENTION = "mention", _("Mention")
    SLA_WARNING = "sla_warning", _("SLA about to breach")
    SLA_BREACH = "sla_breach", _("SLA breached")


class Notification(models.Model):
    """Something an agent should look at: an @mention in a note, an SLA warning or breach."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "message", "kind"], name="notification_unique_per_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id} on ticket {self.ticket_id}"
