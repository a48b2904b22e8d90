"""What an article page's template is given, and the help tree's breadcrumbs.

Shared by the view (knowledge.views) and by the per-process article skeleton
(knowledge.article_frame), which builds the same context around stand-in values.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext as _

from helpdesk.i18n import LANGUAGE_CODES

from . import seo
from .forms import FeedbackForm
from .models import Category, Section
from .selectors import ArticlePage


def article_context(page: ArticlePage, state: str, related: list) -> dict:
    translation = page.translation
    assert translation is not None
    lang = translation.language
    section = page.article.section
    crumbs = tree_crumbs(lang, section.category, section)
    description = seo.describe(translation.summary, translation.body_text)
    meta = seo.PageMeta(
        title=translation.title,
        description=description,
        language=lang,
        path=seo.article_path(translation),
        og_type="article",
        alternates={code: seo.article_path(t) for code, t in page.others.items() if t.is_live()},
        switch=article_switch(page),
        json_ld=[
            seo.article_json_ld(translation, description),
            seo.breadcrumb_json_ld([*crumbs, (translation.title, seo.article_path(translation))]),
        ],
    )
    return {
        "lang": lang,
        "meta": meta,
        "article": page.article,
        "translation": translation,
        "crumbs": crumbs,
        "related": related,
        "other_translations": [t for code, t in page.others.items() if code != lang],
        "feedback_state": state,
        "feedback_form": FeedbackForm(),
    }


def article_switch(page: ArticlePage) -> dict[str, str]:
    """The switcher keeps the article: its translation, or the "not in this language" page."""
    fallback = page.translation or next(iter(page.others.values()))
    return {
        code: seo.article_link_path(code, page.article.pk, page.others.get(code, fallback).slug)
        for code in LANGUAGE_CODES
    }


def tree_crumbs(
    lang: str, category: Category, section: Section | None = None
) -> list[tuple[str, str]]:
    crumbs = [
        (_("Help center"), _tree_path("knowledge:home_lang", lang)),
        (category.name_in(lang), _tree_path("knowledge:category", lang, category.slug)),
    ]
    if section is not None:
        crumbs.append((section.name_in(lang), _tree_path("knowledge:section", lang, section.slug)))
    return crumbs


def _tree_path(view_name: str, lang: str, slug: str = "") -> str:
    return _remembered_path(get_script_prefix(), get_urlconf(), view_name, lang, slug)


@lru_cache(maxsize=1024)
def _remembered_path(prefix: str, urlconf, view_name: str, lang: str, slug: str) -> str:
    """reverse() of a help-tree page, remembered per process: the tree is small, its paths
    are the same on every page, and resolving them was a tenth of rendering an article."""
    return reverse(view_name, kwargs={"lang": lang, **({"slug": slug} if slug else {})})
