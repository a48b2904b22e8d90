"""Anonymous article pages from a per-process skeleton instead of a template render each.

An article page seen by anonymous visitors differs from another of the same *shape* (language,
vote state, which translations and related links exist, whether it has a summary, the theme
…) only by values: title, body, names, paths, dates. So the template is rendered once per
shape and process with stand-ins (random "slot" strings, an unlikely id and date) where those
values go, and each article is the skeleton with its own values put in, escaped exactly as the
template's autoescaping would have (`escape`; the body and the JSON-LD blocks are already safe
HTML, as the template takes them). The template stays the one description of the page:
a test renders articles both ways and compares the bytes.

A first view of an uncached article was mostly template rendering (base, header, crumbs, meta
tags, feedback form, related list); putting ~30 values in a kept string costs a few per cent
of that. Whatever the skeleton cannot place (a stand-in left over) falls back to the render.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from datetime import UTC, datetime
from functools import lru_cache

from django.http import HttpRequest
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils import translation as i18n
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import seo
from .article_context import article_context
from .caching import page_format_stamp
from .models import Article, ArticleTranslation
from .related import RelatedLink
from .selectors import ArticlePage
from .theme import current_theme

logger = logging.getLogger(__name__)

TEMPLATE = "knowledge/article.html"
MAX_SKELETONS = 256  # shapes are few (two languages, 0–5 related links, four vote states)
_TOKEN = secrets.token_hex(8)
_SLOT = f"kbslot{_TOKEN}"
# Ids no real article reaches, random so no page text holds one by design.
_PK = 10**15 + secrets.randbelow(10**14) * 10
_STAND_IN_DATE = datetime(1903, 7, 19, 4, 57, 29, 123457, tzinfo=UTC)
_lock = threading.Lock()
_skeletons: dict[tuple, _Skeleton] = {}


def slot(name: str) -> str:
    return f"{_SLOT}{name}z"


class _SlottedMeta(seo.PageMeta):
    """The page meta with its JSON-LD blocks as stand-ins (filled with json_ld_script's)."""

    @property
    def json_ld_scripts(self) -> list[SafeString]:
        return [mark_safe(slot(f"ld{i}")) for i in range(len(self.json_ld))]  # noqa: S308


class _Skeleton:
    def __init__(self, html: str, stand_ins: list[str]) -> None:
        self.html = html
        # Longest first: at one position a path holding the stand-in id beats the bare id.
        self.pattern = re.compile("|".join(map(re.escape, sorted(stand_ins, key=len)[::-1])))


def render(request: HttpRequest, page: ArticlePage, state: str, related: list, csrf: str) -> str:
    """The article page's HTML for an anonymous visitor, with `csrf` where the token goes."""
    context = article_context(page, state, related)
    translation, meta = context["translation"], context["meta"]
    key = _shape(context, state)
    skeleton = _skeletons.get(key)
    if skeleton is None:
        skeleton = _build(request, context)
        with _lock:
            if len(_skeletons) >= MAX_SKELETONS:
                _skeletons.clear()
            _skeletons[key] = skeleton
    values = _values(context, csrf)
    html = skeleton.pattern.sub(lambda match: values[match.group()], skeleton.html)
    if _SLOT in html or str(_PK)[:12] in html:
        logger.warning("article skeleton left a stand-in for article %s", translation.article_id)
        context["csrf_token"] = csrf
        context["language_urls"] = meta.switch
        return render_to_string(TEMPLATE, context, request)
    return html


def _shape(context: dict, state: str) -> tuple:
    translation, meta = context["translation"], context["meta"]
    return (
        translation.language,
        i18n.get_language(),
        timezone.get_current_timezone_name(),
        get_script_prefix(),
        get_urlconf(),
        state,
        translation.status,
        context["article"].internal,
        bool(translation.summary),
        bool(meta.description),
        tuple(meta.alternates),
        tuple(meta.switch),
        len(meta.json_ld),
        len(context["crumbs"]),
        tuple(t.language for t in context["other_translations"]),
        tuple(link.article.internal for link in context["related"]),
        page_format_stamp(),
        current_theme().stamp,
    )


def _stand_in_context(context: dict) -> dict:
    """The same context with stand-ins for every value that varies between articles."""
    real, meta = context["translation"], context["meta"]
    article = Article(id=_PK, internal=context["article"].internal)
    translation = ArticleTranslation(
        article=article,
        language=real.language,
        title=slot("title"),
        slug=slot("slug"),
        summary=slot("summary") if real.summary else "",
        body_html=slot("body"),
        status=real.status,
        updated_at=_STAND_IN_DATE,
    )
    others = [
        ArticleTranslation(article=article, language=t.language, slug=slot(f"other{t.language}"))
        for t in context["other_translations"]
    ]
    related = [
        RelatedLink(
            article_id=_PK + 1 + i,
            language=link.language,
            slug=slot(f"rel{i}slug"),
            title=slot(f"rel{i}title"),
            published_at=_STAND_IN_DATE,
            internal=link.article.internal,
        )
        for i, link in enumerate(context["related"])
    ]
    stand_in_meta = _SlottedMeta(
        title=translation.title,
        description=slot("description") if meta.description else "",
        language=meta.language,
        path=slot("path"),
        og_type=meta.og_type,
        alternates={code: slot(f"alt{code}") for code in meta.alternates},
        switch={code: slot(f"switch{code}") for code in meta.switch},
        json_ld=meta.json_ld,
    )
    return {
        **context,
        "meta": stand_in_meta,
        "article": article,
        "translation": translation,
        "crumbs": [
            (slot(f"crumb{i}name"), slot(f"crumb{i}href")) for i in range(len(context["crumbs"]))
        ],
        "related": related,
        "other_translations": others,
        "csrf_token": slot("csrf"),
        "language_urls": stand_in_meta.switch,
    }


def _build(request: HttpRequest, context: dict) -> _Skeleton:
    stand_in = _stand_in_context(context)
    html = render_to_string(TEMPLATE, stand_in, request)
    # The keys are the stand-ins' texts whatever the article (only its shape decides them).
    return _Skeleton(html, list(_values(context, "")))


def _values(context: dict, csrf: str) -> dict[str, str]:
    """{stand-in text in the skeleton: this article's text there}."""
    translation, meta = context["translation"], context["meta"]
    pairs: list[tuple[str, str]] = [
        (slot("title"), escape(translation.title)),
        (slot("body"), translation.body_markup),
        (slot("path"), escape(meta.path)),
        (slot("csrf"), csrf),
    ]
    if translation.summary:
        pairs.append((slot("summary"), escape(translation.summary)))
    if meta.description:
        pairs.append((slot("description"), escape(meta.description)))
    for i, script in enumerate(meta.json_ld):
        pairs.append((slot(f"ld{i}"), seo.json_ld_script(script)))
    for code, path in meta.alternates.items():
        pairs.append((slot(f"alt{code}"), escape(path)))
    for code, path in meta.switch.items():
        pairs.append((slot(f"switch{code}"), escape(path)))
    for i, (name, href) in enumerate(context["crumbs"]):
        pairs += [(slot(f"crumb{i}name"), escape(name)), (slot(f"crumb{i}href"), escape(href))]
    for other in context["other_translations"]:
        stand_in_path = seo.article_link_path(other.language, _PK, slot(f"other{other.language}"))
        pairs.append((stand_in_path, escape(seo.article_path(other))))
    for i, link in enumerate(context["related"]):
        stand_in_path = seo.article_link_path(link.language, _PK + 1 + i, slot(f"rel{i}slug"))
        pairs += [
            (stand_in_path, escape(seo.article_path(link))),
            (slot(f"rel{i}title"), escape(link.title)),
        ]
    feedback = _stand_in_feedback_path(get_script_prefix(), get_urlconf(), translation.language)
    pairs.append((feedback, feedback.replace(str(_PK), str(int(translation.article_id)))))
    zone, language = timezone.get_current_timezone_name(), i18n.get_language()
    for shown in ("c", "DATE_FORMAT"):
        stand_in_date = _stand_in_date(shown, zone, language)
        pairs.append((stand_in_date, escape(_date(translation.updated_at, shown))))
    return dict(pairs)


def _date(value: datetime, shown: str) -> str:
    """The `date` filter as the template applies it (in the current time zone)."""
    return date_filter(timezone.template_localtime(value), shown)


@lru_cache(maxsize=64)
def _stand_in_date(shown: str, zone: str, language: str) -> str:
    return _date(_STAND_IN_DATE, shown)


@lru_cache(maxsize=64)
def _stand_in_feedback_path(script_prefix: str, urlconf, lang: str) -> str:
    """The vote form's action for the stand-in id (an id holds no character to escape)."""
    return reverse("knowledge:feedback", kwargs={"lang": lang, "pk": _PK})
