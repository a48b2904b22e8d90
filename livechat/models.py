"""Chat channels (one per widget installation), the visitors who talk through them, their
conversations (visitor ↔ ticket) and the files they upload before sending them."""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlsplit

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Identity
from helpdesk import crypto
from tickets.models import Message, Ticket


def new_public_key() -> str:
    return "ch_" + secrets.token_urlsafe(12)


def new_upload_token() -> str:
    return secrets.token_hex(16)


class Position(models.TextChoices):
    RIGHT = "right", _("Bottom right")
    LEFT = "left", _("Bottom left")


class FieldMode(models.TextChoices):
    OFF = "off", _("Not asked")
    OPTIONAL = "optional", _("Optional")
    REQUIRED = "required", _("Required")


class ChatChannel(models.Model):
    """One widget installation: its look, its texts and which sites may embed it."""

    name = models.CharField(_("name"), max_length=100)
    # Public: it is in the shop's page source as data-channel. Identifies, never authorizes.
    public_key = models.CharField(
        _("channel key"), max_length=40, unique=True, default=new_public_key, editable=False
    )
    # A Fernet token of the identity-verification secret (`helpdesk.crypto`).
    secret_encrypted = models.TextField(blank=True, editable=False)
    brand_color = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#2563eb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #2563eb."))],
    )
    greeting_ja = models.CharField(_("greeting (Japanese)"), max_length=300, blank=True)
    greeting_en = models.CharField(_("greeting (English)"), max_length=300, blank=True)
    position = models.CharField(
        _("position"), max_length=5, choices=Position.choices, default=Position.RIGHT
    )
    allowed_origins = models.TextField(
        _("allowed sites"),
        blank=True,
        help_text=_("One origin per line, e.g. https://shop.example.com. Empty: no site."),
    )
    ask_name = models.CharField(
        _("ask for name"), max_length=8, choices=FieldMode.choices, default=FieldMode.OPTIONAL
    )
    ask_email = models.CharField(
        _("ask for email"), max_length=8, choices=FieldMode.choices, default=FieldMode.OPTIONAL
    )
    active = models.BooleanField(_("active"), default=True)
    offer_timeout = models.PositiveSmallIntegerField(
        _("offer timeout (seconds)"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(600)],
        help_text=_(
            "How long an agent has to accept a chat offered to them before it goes to the "
            "next agent."
        ),
    )
    bot_enabled = models.BooleanField(
        _("answer bot"),
        default=False,
        help_text=_(
            "Answer the visitor's first message from the help center when an article clearly "
            "fits; the visitor can always ask for a person."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")

    def __str__(self) -> str:
        return self.name

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt_text(secret)

    def get_secret(self) -> str:
        """Raises `crypto.DecryptionError` when the key that encrypted it is gone."""
        return crypto.decrypt_text(self.secret_encrypted) if self.secret_encrypted else ""

    @property
    def origins(self) -> list[str]:
        return [normalize_origin(line) for line in self.allowed_origins.split() if line.strip()]

    def allows_origin(self, origin: str) -> bool:
        return bool(origin) and normalize_origin(origin) in self.origins


def normalize_origin(value: str) -> str:
    """ "HTTPS://Shop.example.com/path" → "https://shop.example.com" (scheme://host[:port])."""
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class ChatVisitor(models.Model):
    """A browser that opened the widget; its signed token lives in the browser's localStorage."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="visitors")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The chat identity messages are filed under: "v:<uid>" or, once verified, "u:<ch>:<id>".
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_visitors"
    )
    external_user_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    page_url = models.URLField(max_length=1000, blank=True)
    page_title = models.CharField(max_length=300, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=10, blank=True)
    connections = models.IntegerField(default=0)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"visitor {self.uid}"


class ChatConversation(models.Model):
    """A ticket this visitor talks in. The visitor sees its messages from `first_message` on:
    a ticket joined through an unverified email never shows the visitor earlier history."""

    visitor = models.ForeignKey(ChatVisitor, on_delete=models.CASCADE, related_name="conversations")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="chat_conversations")
    first_message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    agent_joined = models.ForeignKey(
        "helpdesk.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor_read_upto = models.PositiveBigIntegerField(default=0)
    agent_read_upto = models.PositiveBigIntegerField(default=0)
    # Written while nobody could answer: agent replies also go to the visitor's email while
    # the visitor is not in the widget, and their mail replies thread into the same ticket.
    email_followup = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=10, blank=True)  # "visitor" / "agent"
    # The end-of-chat rating given in the widget (kept here even when the feedback app also
    # records it against its survey).
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visitor", "ticket"], name="chat_conversation_unique")
        ]

    def __str__(self) -> str:
        return f"visitor {self.visitor_id} on ticket {self.ticket_id}"


def upload_path(instance: ChatUpload, filename: str) -> str:
    return f"chat-uploads/{instance.visitor_id}/{instance.token}"


class ChatUpload(models.Model):
    """A file a visitor uploaded over HTTP; a later socket frame sends it by its token."""

    visitor = models.ForeignKey(ChatVisitor, on_delete=models.CASCADE, related_name="uploads")
    token = models.CharField(max_length=32, unique=True, default=new_upload_token)
    file = models.FileField(upload_to=upload_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class ChatMailKind(models.TextChoices):
    TRANSCRIPT = "transcript", _("Transcript")
    REPLY = "reply", _("Reply by email")


class ChatMailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ChatMail(models.Model):
    """A mail a chat sends besides the live push: the transcript (up to `message`) or an
    agent's reply (`message`) to a visitor who left for email. One row per send, retried by
    the queue: outbound is a row here too."""

    conversation = models.ForeignKey(
        ChatConversation, on_delete=models.CASCADE, related_name="mails"
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ChatMailKind.choices)
    recipient = models.EmailField()
    status = models.CharField(
        max_length=8, choices=ChatMailStatus.choices, default=ChatMailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    mail_message_id = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # An agent's reply is mailed once per conversation, however often it is queued.
            models.UniqueConstraint(
                fields=["conversation", "message"],
                condition=models.Q(kind="reply"),
                name="chat_mail_reply_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("No answer")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChatOffer(models.Model):
    """A waiting chat offered to one agent: who, when, and what came of it. At most one
    offer per ticket waits for an answer at a time; the rows stay as the routing record
    managers read."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="chat_offers")
    agent = models.ForeignKey("helpdesk.User", on_delete=models.CASCADE, related_name="chat_offers")
    channel = models.ForeignKey(
        ChatChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="offers"
    )
    status = models.CharField(
        max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    offered_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    # Why a withdrawn offer was withdrawn ("assigned", "ended", …), for the routing record.
    note = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-offered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(status="pending"),
                name="chat_offer_one_pending_per_ticket",
            )
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="chat_offer_due")]

    def __str__(self) -> str:
        return f"offer of ticket {self.ticket_id} to {self.agent_id} ({self.status})"

    @property
    def timed_out(self) -> bool:
        """Past its deadline though the timer has not marked it yet: no longer acceptable."""
        return self.status == OfferStatus.PENDING and self.expires_at <= timezone.now()


class BotOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered, waiting for the visitor")
    NO_ANSWER = "no_answer", _("No confident answer")
    HANDED_OFF = "handed_off", _("Handed to a person")
    SOLVED = "solved", _("Solved by the answer")


class ChatBotTurn(models.Model):
    """The answer bot's turn at the start of a chat: the question, what it offered, and
    whether the visitor took it or asked for a person."""

    conversation = models.ForeignKey(
        ChatConversation, on_delete=models.CASCADE, related_name="bot_turns"
    )
    question = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    # knowledge.BotQuestion.token: "this solved it" is counted as a deflection there.
    bot_token = models.CharField(max_length=64, blank=True)
    answers = models.JSONField(default=list)
    outcome = models.CharField(max_length=10, choices=BotOutcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"bot turn on conversation {self.conversation_id} ({self.outcome})"


class ChatReplyFollowUp(models.Model):
    """An agent's chat reply stored by the socket's fast path (livechat/agent_fastpath.py)
    whose ticket work — `ticket_changed` (SLA first reply, automations), search — is still to
    run (livechat/followups.py); the row goes when it ran. `changes`: the status / assignee
    move the reply made, as `ticket_changed` reports it."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="+")
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"follow-ups of chat reply {self.message_id}"
