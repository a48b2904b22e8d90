"""What readers do with the help center: votes, searches, contact-form visits, bot questions.

Rows written by knowledge.reader_services / deflection / bot and read by the knowledge-gap
reports; kept apart from the content they point at (knowledge.models.content).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .content import Article, ArticleTranslation, Language


class ArticleFeedback(models.Model):
    """One "was this helpful?" answer per translation and browser session (a re-vote updates)."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="feedback"
    )
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    session_key = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["translation", "session_key"], name="knowledge_one_vote_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{'helpful' if self.helpful else 'not helpful'} (translation {self.translation_id})"


class SearchSource(models.TextChoices):
    HELP_CENTER = "help", _("Help center")
    CONTACT_FORM = "contact", _("Contact form")


class SearchQueryLog(models.Model):
    """One search a person ran, for the knowledge-gap reports (no results, led to a ticket…)."""

    query = models.CharField(max_length=256)
    language = models.CharField(max_length=2, choices=Language.choices)
    source = models.CharField(
        max_length=10, choices=SearchSource.choices, default=SearchSource.HELP_CENTER
    )
    result_count = models.PositiveIntegerField(default=0)
    clicked_article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clicked_at = models.DateTimeField(null=True, blank=True)
    led_to_ticket = models.BooleanField(default=False)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("search")
        verbose_name_plural = _("searches")

    def __str__(self) -> str:
        return self.query


class ContactAttempt(models.Model):
    """One contact-form visit, for deflection counting: suggestions shown, article opened, sent?

    Keyed by the form's own one-time token (no personal data): the page's beacons create and
    update it, and the ticket the form opens (channel "web") marks it sent.
    """

    form_token = models.CharField(max_length=64, unique=True)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    language = models.CharField(max_length=2, choices=Language.choices)
    suggestions_shown = models.PositiveIntegerField(default=0)
    opened_article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact form visit")
        verbose_name_plural = _("contact form visits")

    def __str__(self) -> str:
        return f"contact {self.pk} ({self.language})"

    @property
    def deflected(self) -> bool:
        return bool(self.suggestions_shown and self.opened_article_id and not self.submitted_at)


class BotSource(models.TextChoices):
    CONTACT_FORM = "contact", _("Contact form")
    WIDGET = "widget", _("Chat widget")


class BotQuestion(models.Model):
    """One question put to the answer bot, what it offered, and whether that solved it.

    `token` is the asker's handle on this row (the "this solved my problem" button sends it
    back); no name or address is kept, and the question is cut like a search query.
    """

    token = models.CharField(max_length=43, unique=True)
    source = models.CharField(max_length=10, choices=BotSource.choices)
    language = models.CharField(max_length=2, choices=Language.choices)
    question = models.CharField(max_length=256)
    offered = ArrayField(models.PositiveBigIntegerField(), default=list, blank=True)
    confidence = models.FloatField(default=0)
    # The contact form's one-time token, when asked from it: a ticket sent afterwards by the
    # same form means the answer did not solve it.
    form_token = models.CharField(max_length=64, blank=True, db_index=True)
    solved_article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    solved_at = models.DateTimeField(null=True, blank=True)
    led_to_ticket = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bot question")
        verbose_name_plural = _("bot questions")

    def __str__(self) -> str:
        return self.question
