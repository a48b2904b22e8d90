"""What search engines and link previews read: canonical and alternate URLs, meta, JSON-LD.

Absolute URLs are built from settings.SITE_URL, never from the request's Host header, so a
crafted Host can't end up in a canonical link or a cached page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from helpdesk.i18n import LANGUAGE_CODES

from .models import ArticleTranslation

SITE_NAME = "窓口 Madoguchi"
OG_LOCALES = {"ja": "ja_JP", "en": "en_US"}
DESCRIPTION_CHARS = 160
# The same escapes as Django's json_script: "</script>" or "<!--" in a title stays data.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def article_path(translation: ArticleTranslation) -> str:
    return article_link_path(translation.language, translation.article_id, translation.slug)


# Stand-ins reversed once per language: what reverse() would build around an id and a slug.
_PK, _SLUG = 987654321, "kb-slug"


@lru_cache(maxsize=32)
def _article_path_shape(script_prefix: str, language: str) -> tuple[str, str]:
    path = reverse("knowledge:article", kwargs={"lang": language, "pk": _PK, "slug": _SLUG})
    head, _stand_in, tail = path.partition(f"{_PK}-{_SLUG}")
    return head, tail


def article_link_path(language: str, pk: int, slug: str) -> str:
    """reverse("knowledge:article", ...) as a string join: a page links many articles, and
    resolving the URL patterns for each link was a fifth of rendering one. The shape is
    reversed once per language (and script prefix), the slug quoted exactly as reverse()
    quotes a path; slugs never hold "/" (SlugField), which the pattern would refuse."""
    head, tail = _article_path_shape(get_script_prefix(), language)
    return f"{head}{int(pk)}-{quote(slug, safe=RFC3986_SUBDELIMS + '/~:@')}{tail}"


def describe(*texts: str) -> str:
    """The first non-empty text, cut to what a search result shows."""
    text = next((" ".join(t.split()) for t in texts if t and t.strip()), "")
    return Truncator(text).chars(DESCRIPTION_CHARS)


@dataclass
class PageMeta:
    """Everything <head> needs beyond the title; built by the view, rendered by the template."""

    title: str
    description: str
    language: str
    path: str  # canonical path
    alternates: dict[str, str] = field(default_factory=dict)  # language → path (existing pages)
    switch: dict[str, str] = field(default_factory=dict)  # language → path for the switcher
    og_type: str = "website"
    noindex: bool = False
    json_ld: list[dict] = field(default_factory=list)

    @property
    def canonical(self) -> str:
        return absolute(self.path)

    @property
    def og_locale(self) -> str:
        return OG_LOCALES.get(self.language, self.language)

    @property
    def hreflang_links(self) -> list[tuple[str, str]]:
        return [(code, absolute(path)) for code, path in self.alternates.items()]

    @property
    def og_locale_alternates(self) -> list[str]:
        return [OG_LOCALES.get(code, code) for code in self.alternates if code != self.language]

    @property
    def json_ld_scripts(self) -> list[SafeString]:
        return [json_ld_script(data) for data in self.json_ld]


def same_page_in_every_language(view_name: str, language: str, **kwargs) -> dict[str, str]:
    """For pages whose URL differs only by language (home, category, section, FAQ)."""
    return {code: reverse(view_name, kwargs={"lang": code, **kwargs}) for code in LANGUAGE_CODES}


def json_ld_script(data: dict) -> SafeString:
    """A `<script type="application/ld+json">` block: data for crawlers, never executed (CSP)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped just above
    )


def _organization() -> dict:
    return {"@type": "Organization", "name": SITE_NAME, "url": absolute("/")}


def article_json_ld(translation: ArticleTranslation, description: str) -> dict:
    # The author is the support organisation, not the staff member: agents' names stay internal.
    url = absolute(article_path(translation))
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": Truncator(translation.title).chars(110),
        "description": description,
        "inLanguage": translation.language,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "dateModified": translation.updated_at.isoformat(),
        "author": _organization(),
        "publisher": _organization(),
    }
    if translation.published_at:
        data["datePublished"] = translation.published_at.isoformat()
    return data


def breadcrumb_json_ld(crumbs: Iterable[tuple[str, str]]) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": number, "name": name, "item": absolute(path)}
            for number, (name, path) in enumerate(crumbs, start=1)
        ],
    }


def faq_json_ld(translations: Iterable[ArticleTranslation]) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": translation.title,
                # Google accepts a little HTML in answers; this is sanitize_html's output.
                "acceptedAnswer": {"@type": "Answer", "text": translation.body_html},
            }
            for translation in translations
        ],
    }
