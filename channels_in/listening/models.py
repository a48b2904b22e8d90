"""Monitors (what to listen for) and the public posts they found.

Imported by `channels_in.models`, so Django sees them as models of the channels_in app.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ListeningLanguage(models.TextChoices):
    ANY = "", _("Any language")
    JA = "ja", _("Japanese")
    EN = "en", _("English")


class ListeningMonitor(models.Model):
    """A search over public posts (X recent search), polled by beat from a checkpoint."""

    name = models.CharField(_("name"), max_length=100)
    # The X account whose token and API base URL the search uses; its own @name and user id
    # are left out (posts that tag us arrive as mentions already).
    account = models.ForeignKey(
        "channels_in.SocialAccount",
        on_delete=models.CASCADE,
        related_name="listening_monitors",
        verbose_name=_("X account"),
    )
    keywords = models.TextField(
        _("keywords"),
        help_text=_("One keyword or brand name per line; a post matching any of them is found."),
    )
    excluded_words = models.TextField(
        _("excluded words"),
        blank=True,
        help_text=_("One per line; posts containing any of them are skipped."),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=ListeningLanguage.choices, blank=True, default=""
    )
    poll_interval_minutes = models.PositiveIntegerField(
        _("poll every (minutes)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
    )
    active = models.BooleanField(_("active"), default=True)
    # The newest post id seen: the next search asks only for newer ones (since_id).
    since_id = models.CharField(max_length=40, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    # Rate limited (429) or failing: no poll before this time.
    next_poll_at = models.DateTimeField(null=True, blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("listening monitor")
        verbose_name_plural = _("listening monitors")

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [w.strip() for w in self.keywords.splitlines() if w.strip()]

    def excluded_list(self) -> list[str]:
        return [w.strip() for w in self.excluded_words.splitlines() if w.strip()]


class ListeningPostStatus(models.TextChoices):
    NEW = "new", _("New")
    TICKETED = "ticketed", _("Ticket created")
    DISMISSED = "dismissed", _("Dismissed")


class ListeningPost(models.Model):
    """One public post a monitor found; stored once whatever monitors match it."""

    monitor = models.ForeignKey(
        ListeningMonitor, on_delete=models.CASCADE, related_name="posts", verbose_name=_("monitor")
    )
    post_id = models.CharField(max_length=40, unique=True)
    author_id = models.CharField(max_length=40)
    author_username = models.CharField(max_length=100, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    lang = models.CharField(max_length=10, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The raw post as X sent it (v2 object with its author), kept for the ticket it may become.
    raw = models.JSONField(default=dict)
    sentiment = models.SmallIntegerField(_("sentiment"), default=0)
    # The words that made the score: [{"word": "最悪", "weight": -2}, …] — shown to agents.
    sentiment_words = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ListeningPostStatus.choices,
        default=ListeningPostStatus.NEW,
    )
    # The stored inbound event the "create ticket" click recorded (its message → the ticket).
    event = models.ForeignKey(
        "channels_in.InboundEvent", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["status", "-found_at"], name="listening_post_status")]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.text[:40]}"

    @property
    def url(self) -> str:
        who = self.author_username or "i"
        return f"https://x.com/{who}/status/{self.post_id}"

    @property
    def ticket_id(self) -> int | None:
        event = self.event
        message = event.message if event is not None else None
        return message.ticket_id if message is not None else None
