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

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .access import is_staff_viewer, readable_sections_filter
from .models import FAQ_LABEL, Article, ArticleStatus, ArticleTranslation, Category, Section

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
    Two queries whatever the size of the tree.
    """
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
    readable = visible_filter(viewer)
    if is_staff_viewer(viewer):
        readable = Q()  # staff preview drafts and scheduled articles from their links
    translations = list(
        ArticleTranslation.objects.filter(readable, article_id=article_id).select_related(
            "article__section__category", "article__author"
        )
    )
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


def article_page_stamp(viewer, page: ArticlePage) -> tuple[int, datetime]:
    """(articles come live lately, newest change) over what an article page shows: for the
    ETag and Last-Modified.

    The page lists its section's other articles and links the other languages. Every write to
    an article moves its section's `updated_at` (knowledge.services), so that and the shown
    translations' own times cover edits; a scheduled article whose time has come since then
    changes the section without a write, so those are counted (an index range on published_at,
    not a pass over the section).
    """
    translation = page.translation
    assert translation is not None
    section = translation.article.section
    came_live = (
        visible_translations(viewer, translation.language)
        .filter(article__section_id=section.pk, published_at__gt=section.updated_at)
        .aggregate(count=Count("id"), newest=Max("published_at"))
    )
    newest = max(
        filter(
            None,
            [
                section.updated_at,
                section.category.updated_at,
                came_live["newest"],
                *(t.updated_at for t in page.others.values()),
            ],
        )
    )
    return came_live["count"], newest
