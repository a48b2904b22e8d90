"""Reads of the article editor (staff only): every article, drafts and internal ones included."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Article, ArticleStatus, ArticleTranslation, ArticleVersion, Category

EDITOR_PAGE_SIZE = 50


def editor_articles(
    *, q: str = "", category=None, section=None, status: str = "", language: str = ""
) -> QuerySet[Article]:
    """Articles for the editor's list, filtered; translations prefetched (a fixed query count)."""
    articles = Article.objects.select_related("section__category").prefetch_related(
        Prefetch(
            "translations",
            queryset=ArticleTranslation.objects.defer(
                "body", "body_html", "body_text", "search_vector"
            ).order_by("language"),
        )
    )
    translations = ArticleTranslation.objects.filter(article=OuterRef("pk"))
    if q:
        articles = articles.filter(Exists(translations.filter(title__icontains=q)))
    if category is not None:
        articles = articles.filter(section__category=category)
    if section is not None:
        articles = articles.filter(section=section)
    if language in ("ja", "en"):
        translations = translations.filter(language=language)
        articles = articles.filter(Exists(translations))
    elif language.startswith("missing-"):
        articles = articles.exclude(Exists(translations.filter(language=language[-2:])))
    now = timezone.now()
    if status == "published":
        articles = articles.filter(
            Exists(translations.filter(status=ArticleStatus.PUBLISHED, published_at__lte=now))
        )
    elif status == "scheduled":
        articles = articles.filter(
            Exists(translations.filter(status=ArticleStatus.PUBLISHED, published_at__gt=now))
        )
    elif status == "draft":
        articles = articles.filter(Exists(translations.filter(status=ArticleStatus.DRAFT)))
    elif status == "internal":
        articles = articles.filter(internal=True)
    return articles.order_by("section__category__position", "section__position", "position", "id")


def editor_article(pk: int) -> tuple[Article, dict[str, ArticleTranslation]]:
    article = get_object_or_404(Article.objects.select_related("section__category"), pk=pk)
    return article, {t.language: t for t in article.translations.all()}


def translation_state(translation: ArticleTranslation | None) -> str:
    """missing / draft / scheduled / published: what the editor's badges say."""
    if translation is None:
        return "missing"
    if translation.status != ArticleStatus.PUBLISHED:
        return "draft"
    if translation.published_at and translation.published_at > timezone.now():
        return "scheduled"
    return "published"


def help_center_tree() -> list[Category]:
    return list(Category.objects.prefetch_related("sections").order_by("position", "id"))


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def text_diff(before: str, after: str) -> list[DiffLine]:
    """Line diff from `before` to `after`, for the history page (escaped by the template)."""
    lines = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue
        lines.append(DiffLine({"+ ": "added", "- ": "removed"}.get(code, "same"), text))
    return lines


def translation_history(article_pk: int, language: str) -> tuple[ArticleTranslation, list]:
    translation = get_object_or_404(
        ArticleTranslation.objects.select_related("article__section__category"),
        article_id=article_pk,
        language=language,
    )
    versions = list(translation.versions.select_related("edited_by"))
    return translation, versions


def version_of(translation: ArticleTranslation, version_id: int) -> ArticleVersion:
    return get_object_or_404(ArticleVersion, pk=version_id, translation=translation)
