"""The unified inbox: every conversation on every channel is a Ticket with Messages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Identity


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Live chat")
    PHONE = "phone", _("Phone")
    LINE = "line", "LINE"
    MESSENGER = "messenger", "Messenger"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    X = "x", "X"
    TELEGRAM = "telegram", "Telegram"
    SMS = "sms", "SMS"


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


UNSOLVED_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketManager(models.Manager["Ticket"]):
    def get_queryset(self) -> models.QuerySet[Ticket]:
        # The search vector can be tens of KB: lists never need it, and an instance that did
        # not load it cannot write a stale copy back on save() (deferred fields are not saved).
        return super().get_queryset().defer("search_vector")


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    # The address/handle replies go to: the one the customer wrote from.
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # When the customer last wrote: an agent who has not opened the ticket since sees it unread.
    customer_activity_at = models.DateTimeField(null=True, blank=True)
    # Set when this ticket was merged into another; the source stays (closed) as a signpost.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    first_replied_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    # When it was last closed: a customer's later reply reopens it only within
    # settings.REOPEN_CLOSED_WITHIN_DAYS of this (tickets.services._thread_for).
    closed_at = models.DateTimeField(null=True, blank=True)
    # The SLA target that runs now (first_reply, next_reply, periodic_update, resolution), when
    # it is due and whether it is already missed. Written only by the sla app, read by lists.
    sla_target = models.CharField(_("SLA target"), max_length=20, blank=True)
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True, db_index=True)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)
    # Lexemes of subject (A), customer and tags (B) and messages (C), made by helpdesk.search;
    # kept current by tickets.search_index, never edited by hand.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = TicketManager()

    class Meta:
        # Also for message.ticket and other related access, which go through the base manager.
        base_manager_name = "objects"
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["customer", "channel", "status"], name="ticket_customer_channel"),
            GinIndex(fields=["search_vector"], name="ticket_search_vector"),
            # One index per built-in inbox view, in the view's order (tickets.paging), holding
            # only the view's tickets: a page or a count reads a few thousand entries, not a
            # million, and the next page starts right where the last one ended.
            models.Index(fields=["-updated_at", "-id"], name="ticket_latest"),
            models.Index(
                fields=["assignee", "-updated_at", "-id"],
                name="ticket_unsolved_by_assignee",
                condition=models.Q(status__in=["new", "open", "pending", "on_hold"]),
            ),
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_open_latest",
                condition=models.Q(status__in=["new", "open"]),
            ),
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_pending_latest",
                condition=models.Q(status__in=["pending", "on_hold"]),
            ),
            # "Unassigned" and "Solved recently" in their own order: no order can be read off
            # `assignee_id IS NULL` in ticket_unsolved_by_assignee, and ticket_latest walks past
            # thousands of open tickets to find fifty solved ones.
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_unassigned_latest",
                condition=models.Q(
                    status__in=["new", "open", "pending", "on_hold"], assignee__isnull=True
                ),
            ),
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_solved_latest",
                include=["solved_at"],
                condition=models.Q(status__in=["solved", "closed"]),
            ),
            models.Index(
                fields=["channel", "-updated_at", "-id"],
                name="ticket_waiting_by_channel",
                condition=models.Q(status__in=["new", "open"]),
            ),
            models.Index(
                fields=["solved_at"],
                name="ticket_solved_at",
                condition=models.Q(status__in=["solved", "closed"]),
            ),
            # Each customer's latest ticket and its channel without a sort: NPS segments by the
            # channel of last contact (feedback.services.nps_campaigns) read it per customer.
            models.Index(
                fields=["customer", "-created_at", "-id"],
                name="ticket_customer_created",
                include=["channel"],
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_unsolved(self) -> bool:
        return self.status in UNSOLVED_STATUSES


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    internal = models.BooleanField(_("internal note"), default=False)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)  # always sanitized before it is stored
    # The macros an agent applied while writing this message (CSAT is attributed to them).
    macros = models.ManyToManyField("Macro", blank=True, related_name="messages")
    # The channel's own id (Message-ID for mail, provider message id): threads and dedupes.
    external_id = models.CharField(max_length=500, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_kind} message {self.pk} on ticket {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is ours; the customer's file name is kept in `filename` only.
    return f"attachments/{instance.message.ticket_id}/{instance.message_id}/{instance.token}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    token = models.CharField(max_length=32)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=200, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
