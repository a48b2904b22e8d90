"""Help-center content: categories → sections → articles, each article in ja and/or en.

Writes go through `knowledge.services` (rendering, version history, search vectors); reads that
customers can reach go through `knowledge.selectors` (visibility rules in one place).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

FAQ_LABEL = "faq"
# Net helpful votes lift an article a little in search (log-damped): never past a clearly better
# match. Stored per translation as `vote_boost` (below), so search can walk articles in that order.
HELPFUL_BOOST = 0.1
# Titles of at most this many lexemes (all but the longest titles; index rows are limited to
# 2.7 kB) are in the index search walks in vote order (see knowledge.search_candidates).
WALKED_TITLE_LEXEMES = 100


class TitleLexemes(models.Func):
    """The title's part of a translation's vector (weight A): a title hit, told apart cheaply."""

    template = "ts_filter(%(expressions)s, '{a}')"
    output_field = SearchVectorField()


class VoteBoost(models.Func):
    """1 + HELPFUL_BOOST · ln(1 + net helpful votes, never below 0): the rank multiplier."""

    arg_joiner = " - "
    template = f"(1.0 + {HELPFUL_BOOST} * ln(1.0 + greatest(%(expressions)s, 0)))::double precision"
    output_field = models.FloatField()


class Language(models.TextChoices):
    JA = "ja", "日本語"
    EN = "en", "English"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class TranslatedNames(models.Model):
    """Name and description per language as plain columns: two languages, either may be blank.

    Columns instead of translation rows: one query per list, and "missing" is simply empty.
    The slug is shared by both languages so the language switcher keeps the page.
    """

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name_ja or self.name_en or self.slug

    def clean(self) -> None:
        if not (self.name_ja.strip() or self.name_en.strip()):
            raise ValidationError(_("Give a name in at least one language."))

    def has_name(self, language: str) -> bool:
        return bool(getattr(self, f"name_{language}", ""))

    def name_in(self, language: str) -> str:
        """The name in `language`, else the other one: a list never shows an empty heading."""
        other = Language.EN if language == Language.JA else Language.JA
        return getattr(self, f"name_{language}", "") or getattr(self, f"name_{other}", "")

    def description_in(self, language: str) -> str:
        return getattr(self, f"description_{language}", "")


class Audience(models.TextChoices):
    """Who may read a category's or a section's articles (knowledge.access: a query filter).

    A section inherits its category's audience and may only narrow it: a reader must be in
    both. "Everyone" on a section therefore means "everyone the category lets in".
    """

    EVERYONE = "everyone", _("Everyone")
    SIGNED_IN = "signed_in", _("Signed-in customers")
    ORGANIZATIONS = "organizations", _("Customers of chosen organizations")
    AGENTS = "agents", _("Agents only")


class Category(TranslatedNames):
    audience = models.CharField(
        _("who can read"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    organizations = models.ManyToManyField(
        "customers.Organization",
        blank=True,
        related_name="+",
        verbose_name=_("organizations"),
        help_text=_("Used when the category is for customers of chosen organizations."),
    )

    class Meta(TranslatedNames.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class Section(TranslatedNames):
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="sections", verbose_name=_("category")
    )
    audience = models.CharField(
        _("who can read"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    organizations = models.ManyToManyField(
        "customers.Organization",
        blank=True,
        related_name="+",
        verbose_name=_("organizations"),
        help_text=_("Used when the section is for customers of chosen organizations."),
    )
    # Who may write in the section, beyond managers and admins (who always may). Empty: every
    # agent who can edit articles. Roles and teams both given: an editor needs both.
    editor_roles = ArrayField(
        models.CharField(max_length=20),
        default=list,
        blank=True,
        verbose_name=_("roles that may edit"),
    )
    editor_teams = models.ManyToManyField(
        "tickets.Team",
        blank=True,
        related_name="+",
        verbose_name=_("teams that may edit"),
    )
    # {language: the first public articles}, what "Related articles" shows: written with
    # every article change in the section (knowledge.related), NULL until first computed.
    reading_list = models.JSONField(null=True, blank=True, editable=False)

    class Meta(TranslatedNames.Meta):
        verbose_name = _("section")
        verbose_name_plural = _("sections")


class Article(models.Model):
    """What the translations have in common: place, order, audience, labels."""

    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", verbose_name=_("section")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    internal = models.BooleanField(
        _("agents only"),
        default=False,
        help_text=_("Internal articles are never shown to customers."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    labels = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        verbose_name=_("labels"),
        help_text=_("Comma separated. “faq” puts the article on the FAQ page."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            GinIndex(fields=["labels"], name="knowledge_article_labels"),
            # A section's articles in their order (related articles, listings) without a sort.
            models.Index(fields=["section", "position", "id"], name="knowledge_article_order"),
        ]

    def __str__(self) -> str:
        first = next(iter(self.translations.all()), None)
        return first.title if first else f"#{self.pk}"


class ArticleTranslation(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="translations", verbose_name=_("article")
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, allow_unicode=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    # Rendered from `body` by knowledge.services (Markdown → sanitize_html); never edited.
    body_html = models.TextField(editable=False, blank=True)
    body_text = models.TextField(editable=False, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    helpful_votes = models.PositiveIntegerField(default=0, editable=False)
    unhelpful_votes = models.PositiveIntegerField(default=0, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # Kept by PostgreSQL itself (generated columns), so no write path can forget them. Search
    # over 100,000 articles needs both to stay fast when a common word matches thousands: the
    # title's lexemes are small enough to test row by row, and the boost is an index order
    # (knowledge.search walks the best-voted articles first and stops at a window).
    title_vector = models.GeneratedField(
        expression=TitleLexemes(models.F("search_vector")),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    vote_boost = models.GeneratedField(
        expression=VoteBoost(models.F("helpful_votes"), models.F("unhelpful_votes")),
        output_field=models.FloatField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["article", "language"]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="knowledge_one_translation_per_language"
            ),
            models.UniqueConstraint(
                fields=["language", "slug"], name="knowledge_slug_unique_per_language"
            ),
        ]
        indexes = [
            # One GIN index per language over published text, the exact rows a search reads:
            # a common word then costs one small index scan, not an AND with a second index.
            *(
                GinIndex(
                    fields=["search_vector"],
                    name=f"knowledge_search_{code}",
                    condition=models.Q(language=code, status="published"),
                )
                for code in ("ja", "en")
            ),
            # Titles alone: a word that is rare in titles is found without reading bodies.
            *(
                GinIndex(
                    fields=["title_vector"],
                    name=f"knowledge_title_{code}",
                    condition=models.Q(language=code, status="published"),
                )
                for code in ("ja", "en")
            ),
            # Best-voted first: the order search walks when a word is common. It carries what
            # the walk tests (title lexemes, visibility), so no row is read from the table; an
            # index row has a size limit, so titles of very many words are left out of it.
            *(
                models.Index(
                    fields=["-vote_boost", "id"],
                    name=f"knowledge_vote_order_{code}",
                    condition=models.Q(
                        LessThanOrEqual(Length("title_vector"), WALKED_TITLE_LEXEMES),
                        language=code,
                        status="published",
                    ),
                    include=["article", "published_at", "title_vector"],
                )
                for code in ("ja", "en")
            ),
            models.Index(
                fields=["language", "published_at"],
                name="knowledge_translation_live",
                condition=models.Q(status="published"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def body_markup(self) -> SafeString:
        # Safe by construction: services store only sanitize_html's output here.
        return mark_safe(self.body_html)  # noqa: S308

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == ArticleStatus.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
        )


class ArticleVersion(models.Model):
    """The translation as it was before a save: history to diff and restore."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="versions"
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaced by"),
    )
    created_at = models.DateTimeField(_("replaced at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("version")
        verbose_name_plural = _("versions")

    def __str__(self) -> str:
        return f"{self.title} ({self.created_at:%Y-%m-%d %H:%M})"
