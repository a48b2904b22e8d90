"""Raw inbound events (stored before anything else happens), outbound deliveries, and the
mailboxes mail is pulled from."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk import crypto
from tickets.models import Message


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")
    # Kept raw, no ticket, nothing sent back, until an admin releases it: a blocked sender,
    # an automatic reply or a mail storm (the event's `error` says which).
    HELD = "held", _("Held")


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


class DeliveryReceipt(models.TextChoices):
    """What the provider told us after accepting the message (where it tells at all)."""

    NONE = "", _("No receipt")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    UNDELIVERED = "undelivered", _("Not delivered")


class OutboundDelivery(models.Model):
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="delivery")
    kind = models.CharField(max_length=20)
    recipient = models.CharField(max_length=320)
    # Mail only: the ticket's followers copied on this reply, as sent ("Name <address>").
    cc = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    provider_id = models.CharField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Delivery / read receipts (WhatsApp statuses, Twilio status callbacks, Messenger reads).
    receipt = models.CharField(
        max_length=12, choices=DeliveryReceipt.choices, default=DeliveryReceipt.NONE, blank=True
    )
    receipt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbound_pending"),
            models.Index(fields=["kind", "provider_id"], name="outbound_provider_id"),
        ]
        verbose_name_plural = _("outbound deliveries")

    def __str__(self) -> str:
        return f"{self.kind} delivery {self.pk} ({self.status})"


# --- mailboxes ----------------------------------------------------------------------------


class MailProtocol(models.TextChoices):
    IMAP = "imap", _("IMAP")
    POP3 = "pop3", _("POP3")


class MailSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (plain text)")


class AfterImport(models.TextChoices):
    MARK_SEEN = "mark_seen", _("Mark as read")
    MOVE = "move", _("Move to a folder")
    DELETE = "delete", _("Delete from the server")


MIN_POLL_INTERVAL_SECONDS = 10


class MailAccount(models.Model):
    """A mailbox we pull mail from. Its password is stored encrypted (`helpdesk.crypto`)."""

    name = models.CharField(_("name"), max_length=100)
    protocol = models.CharField(
        _("protocol"), max_length=4, choices=MailProtocol.choices, default=MailProtocol.IMAP
    )
    host = models.CharField(_("server"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        _("security"), max_length=8, choices=MailSecurity.choices, default=MailSecurity.SSL
    )
    username = models.CharField(_("user name"), max_length=255)
    # A Fernet token; never the password itself, and never sent back to a browser.
    password_encrypted = models.TextField(blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    after_import = models.CharField(
        _("after import"), max_length=10, choices=AfterImport.choices, default=AfterImport.MARK_SEEN
    )
    move_to = models.CharField(_("move to folder"), max_length=255, blank=True)
    poll_interval_seconds = models.PositiveIntegerField(
        _("poll every (seconds)"),
        default=30,
        validators=[MinValueValidator(MIN_POLL_INTERVAL_SECONDS)],
    )
    active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    # Set when a poll is queued; keeps beat from queueing another while one is waiting.
    poll_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    imported_count = models.PositiveBigIntegerField(_("imported"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(poll_interval_seconds__gte=MIN_POLL_INTERVAL_SECONDS),
                name="mail_account_min_poll_interval",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def set_password(self, password: str) -> None:
        self.password_encrypted = crypto.encrypt_text(password)

    def get_password(self) -> str:
        """Raises `crypto.DecryptionError` when the key that encrypted it is gone."""
        return crypto.decrypt_text(self.password_encrypted) if self.password_encrypted else ""


class MailboxCheckpoint(models.Model):
    """How far an IMAP folder has been imported: every UID ≤ last_uid is stored as an event.

    UIDs are only meaningful together with the folder's UIDVALIDITY; when the server changes
    it, the checkpoint starts over and Message-ID deduplication absorbs the re-read.
    """

    account = models.ForeignKey(MailAccount, on_delete=models.CASCADE, related_name="checkpoints")
    folder = models.CharField(max_length=255)
    uidvalidity = models.PositiveBigIntegerField()
    last_uid = models.PositiveBigIntegerField(default=0)
    # Every UID ≤ acted_uid has had its after-import action (seen / move / delete) too. Lags
    # last_uid only when a poll died in between; the next poll finishes exactly that gap, and
    # never touches older mail (say, after an admin switched to "delete").
    acted_uid = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "folder"], name="mailbox_checkpoint_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.folder} {self.uidvalidity}/{self.last_uid}"


class Pop3SeenMessage(models.Model):
    """A POP3 message (by UIDL) already stored as an event.

    POP3 has no "UID greater than": the checkpoint is the set of UIDLs imported. It stays
    bounded because each poll forgets UIDLs the server no longer lists, so the table never
    holds more rows than the mailbox holds mails (none, with "delete after import").
    """

    account = models.ForeignKey(MailAccount, on_delete=models.CASCADE, related_name="pop3_seen")
    uidl = models.CharField(max_length=70)  # RFC 1939: 1 to 70 characters
    # False until the after-import action is done: a DELE only counts once QUIT succeeded.
    acted = models.BooleanField(default=False)
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "uidl"], name="pop3_seen_unique")]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.uidl}"


# --- social and messaging accounts ---------------------------------------------------------


class SocialKind(models.TextChoices):
    """A connected account's channel; equal to the ticket channel it feeds."""

    LINE = "line", "LINE"
    MESSENGER = "messenger", "Facebook Messenger"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    X = "x", "X (Twitter)"
    TELEGRAM = "telegram", "Telegram"
    SMS = "sms", _("SMS (Twilio)")
    PHONE = "phone", _("Phone (Twilio Voice)")


class SocialAccount(models.Model):
    """One connected LINE channel, Facebook page, WhatsApp number, bot, Twilio number, ….

    The access token and the webhook secret are stored encrypted (`helpdesk.crypto`) and are
    never sent back to a browser. `api_base_url` is where the provider's API is spoken to: the
    provider's own by default, a local server in tests or behind an egress proxy.
    """

    kind = models.CharField(_("channel"), max_length=20, choices=SocialKind.choices)
    name = models.CharField(_("name"), max_length=100)
    # Page id, phone number id, LINE bot user id, Twilio number, X user id: how the provider
    # names the account (and where the send API is addressed).
    external_id = models.CharField(_("account ID"), max_length=200, blank=True)
    # Twilio Account SID (the user name of its API); unused elsewhere.
    api_user = models.CharField(_("API user"), max_length=200, blank=True)
    access_token_encrypted = models.TextField(blank=True, editable=False)
    secret_encrypted = models.TextField(blank=True, editable=False)
    # Meta's webhook handshake token: not a secret of ours, the admin pastes it into Meta.
    verify_token = models.CharField(_("verify token"), max_length=100, blank=True)
    api_base_url = models.URLField(_("API base URL"), max_length=300)
    # WhatsApp: the approved template sent when the 24-hour window is closed.
    template_name = models.CharField(_("template name"), max_length=200, blank=True)
    template_language = models.CharField(_("template language"), max_length=20, blank=True)
    # Messenger / Instagram: answer up to 7 days late with the HUMAN_AGENT message tag.
    use_human_agent_tag = models.BooleanField(_("use the HUMAN_AGENT tag"), default=True)
    active = models.BooleanField(_("active"), default=True)
    # X without the Account Activity webhook: beat polls mentions and DMs instead.
    poll_enabled = models.BooleanField(_("poll instead of webhooks"), default=False)
    # Where polling stopped, per stream ({"mentions": "<newest tweet id>", "dms": "<id>"}).
    poll_state = models.JSONField(default=dict, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("social account")
        verbose_name_plural = _("social accounts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    def set_access_token(self, token: str) -> None:
        self.access_token_encrypted = crypto.encrypt_text(token) if token else ""

    def get_access_token(self) -> str:
        """Raises `crypto.DecryptionError` when the key that encrypted it is gone."""
        if not self.access_token_encrypted:
            return ""
        return crypto.decrypt_text(self.access_token_encrypted)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt_text(secret) if secret else ""

    def get_secret(self) -> str:
        return crypto.decrypt_text(self.secret_encrypted) if self.secret_encrypted else ""


# Social listening keeps its own module; imported here so Django registers its models.
from .listening.models import ListeningMonitor, ListeningPost  # noqa: E402, F401
