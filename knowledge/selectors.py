"""Every read of help-center content, with who-may-see-what in one place.

Customers (anonymous or signed in) see only published, non-internal translations whose
publication time has come, in sections whose audience includes them (knowledge.access). Staff
also see internal articles and agents-only sections, and may preview drafts on the article
page. Anything a viewer may not see is answered exactly like something that does not exist
(404), so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .access import is_staff_viewer, readable_section_ids, readable_sections_filter
from .article_rows import readable_translations
from .models import (
    FAQ_LABEL,
    Article,
    ArticleStatus,
    ArticleTranslation,
    Category,
    Language,
    Section,
)

RELATED_LIMIT = 5
CATEGORY_PAGE_ARTICLES = 6


def visible_filter(viewer, prefix: str = "") -> Q:
    """The rows of ArticleTranslation (reached through `prefix`) this viewer may read."""
    live = Q(
        **{
            f"{prefix}status": ArticleStatus.PUBLISHED,
            f"{prefix}published_at__lte": timezone.now(),
        }
    )
    if is_staff_viewer(viewer):
        return live
    sections = readable_sections_filter(viewer, f"{prefix}article__section__")
    return live & Q(**{f"{prefix}article__internal": False}) & sections


def visible_translations(viewer, language: str | None = None) -> QuerySet[ArticleTranslation]:
    translations = ArticleTranslation.objects.filter(visible_filter(viewer))
    if language:
        translations = translations.filter(language=language)
    return translations


def listed_translations(viewer, language: str) -> QuerySet[ArticleTranslation]:
    """Visible translations with what a list item shows, ordered as editors arranged them."""
    return (
        visible_translations(viewer, language)
        .select_related("article__section__category")
        .defer("body", "body_html", "body_text", "search_vector")
        .order_by(
            "article__section__category__position",
            "article__section__position",
            "article__position",
            "article_id",
        )
    )


# ------------------------------------------------------------------------ home and listings


def home_categories(viewer, language: str) -> list[Category]:
    """Categories, each with `.listed_sections`: the sections holding something visible.

    Each section carries `.article_count` in `language` and `.any_count` over all languages.
    Customers: the readable sections' stored counts (knowledge.related), two small queries;
    counting 100,000 articles took seconds. Staff (who also count internal articles): two
    counting queries whatever the size of the tree.
    """
    if not is_staff_viewer(viewer):
        return _public_home_categories(viewer, language)
    in_language = visible_filter(viewer, "articles__translations__") & Q(
        articles__translations__language=language
    )
    sections = Section.objects.annotate(
        article_count=Count("articles__translations", filter=in_language, distinct=True),
        any_count=Count(
            "articles__translations",
            filter=visible_filter(viewer, "articles__translations__"),
            distinct=True,
        ),
    ).filter(any_count__gt=0)
    categories = Category.objects.prefetch_related(
        Prefetch("sections", queryset=sections, to_attr="listed_sections")
    )
    return [category for category in categories if category.listed_sections]


def _public_home_categories(viewer, language: str) -> list[Category]:
    from .related import public_counts

    sections = Section.objects.filter(pk__in=readable_section_ids(viewer)).order_by(
        "position", "id"
    )
    by_category: dict[int, list[Section]] = {}
    for section in sections:
        section.article_count = public_counts(section, language)
        section.any_count = sum(public_counts(section, code) for code in Language.values)
        if section.any_count:
            by_category.setdefault(section.category_id, []).append(section)
    categories = []
    for category in Category.objects.filter(pk__in=by_category):
        category.listed_sections = by_category[category.pk]
        categories.append(category)
    return categories


def category_by_slug(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise Http404("No such category")
    return category


def section_by_slug(slug: str) -> Section:
    section = Section.objects.select_related("category").filter(slug=slug).first()
    if section is None:
        raise Http404("No such section")
    return section


@dataclass
class SectionListing:
    section: Section
    translations: list[ArticleTranslation] = field(default_factory=list)
    more: int = 0


def category_listing(viewer, category: Category, language: str) -> list[SectionListing]:
    """The category's sections with their first articles in `language`; empty sections drop."""
    listings = {s.pk: SectionListing(s) for s in category.sections.all()}
    for translation in listed_translations(viewer, language).filter(
        article__section__category=category
    ):
        listing = listings[translation.article.section_id]
        if len(listing.translations) < CATEGORY_PAGE_ARTICLES:
            listing.translations.append(translation)
        else:
            listing.more += 1
    return [listing for listing in listings.values() if listing.translations]


def section_listing(
    viewer, section: Section, language: str
) -> tuple[list[ArticleTranslation], list[ArticleTranslation]]:
    """(articles in `language`, articles of the section that exist only in another language)."""
    visible = listed_translations(viewer, "").filter(article__section=section)
    here = [t for t in visible if t.language == language]
    present = {t.article_id for t in here}
    elsewhere: dict[int, ArticleTranslation] = {}
    for translation in visible:
        if translation.article_id not in present:
            elsewhere.setdefault(translation.article_id, translation)
    return here, list(elsewhere.values())


def faq_translations(viewer, language: str) -> list[ArticleTranslation]:
    return list(
        visible_translations(viewer, language)
        .filter(article__labels__contains=[FAQ_LABEL])
        .select_related("article__section__category")
        .order_by(
            "article__section__category__position",
            "article__section__position",
            "article__position",
            "article_id",
        )
    )


# ------------------------------------------------------------------------ one article


@dataclass
class ArticlePage:
    article: Article
    translation: ArticleTranslation | None  # None: no readable translation in this language
    others: dict[str, ArticleTranslation]  # language → readable translation, all languages


def article_page(viewer, article_id: int, language: str) -> ArticlePage:
    """The article in `language`, or 404 when the viewer may read it in no language at all."""
    if is_staff_viewer(viewer):
        # Staff preview drafts and scheduled articles from their links. What a page shows and
        # no more: the Markdown source and the search vectors (the largest columns) stay in
        # the database.
        translations = list(
            ArticleTranslation.objects.filter(article_id=article_id)
            .select_related("article__section__category")
            .defer("body", "search_vector", "title_vector")
            .order_by()  # one row per language, put in a dict: no sort (and no join for one)
        )
    else:
        # The same rows through the same visibility rule, in one statement written once.
        translations = readable_translations(article_id, readable_section_ids(viewer) or [])
    if not translations:
        raise Http404("No such article")
    by_language = {t.language: t for t in translations}
    return ArticlePage(
        article=translations[0].article,
        translation=by_language.get(language),
        others=by_language,
    )


def related_translations(viewer, translation: ArticleTranslation) -> list[ArticleTranslation]:
    # The section is fixed, so its articles' own order is the whole order: walked through the
    # (section, position, id) index and stopped after RELATED_LIMIT, however big the section.
    return list(
        visible_translations(viewer, translation.language)
        .filter(article__section_id=translation.article.section_id)
        .exclude(article_id=translation.article_id)
        .select_related("article__section__category")
        .defer("body", "body_html", "body_text", "search_vector")
        .order_by("article__position", "article_id")[:RELATED_LIMIT]
    )


def article_page_stamp(page: ArticlePage, related: list) -> datetime:
    """The newest change over what an article page shows: its Last-Modified (and, with the
    related articles' ids, its ETag). No query: every row it needs came with the page.

    The page shows its section's and category's names, the translations in every language and
    the related articles. Every write to an article of the section moves the section's
    `updated_at` (knowledge.related stores the section's list then); a related article whose
    scheduled time has come since (no write happens then) brings its `published_at`, which is
    later than that write.
    """
    translation = page.translation
    assert translation is not None
    section = translation.article.section
    return max(
        [
            section.updated_at,
            section.category.updated_at,
            *(t.updated_at for t in page.others.values()),
            *(link.published_at for link in related if link.published_at),
        ]
    )
