"""Whole help-center pages (and search suggestions) for anonymous visitors, made once and kept.

An anonymous visitor's article page, or search results page, is the same for everyone but for
what is per request: the CSRF token in its forms (the vote form, the language switcher) and,
on search results, the id of the visitor's search log in the result links. So the rendered
page is kept in the shared cache with random placeholders where those go, and each request
gets the page with its own values put in: no template rendering and no read of the articles.

Keys hold the help tree's and the content's versions (knowledge.structure,
knowledge.search_cache: any category, section, article or translation write moves one), the
theme and the page-format stamp (what the ETag also covers), the language and what the page
is of, and the next scheduled publication (search_cache.schedule_stamp). Article pages live
PAGE_SECONDS, as long as the ETag's stamp is kept; search pages and suggestions as long as
their ranking (search_cache.RESULT_SECONDS). Pages with
flash messages to show are never taken from nor put in the cache.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response

from . import search_cache
from .caching import page_format_stamp, set_public_validators
from .theme import current_theme

PAGE_SECONDS = 60


@dataclass(frozen=True)
class KeptArticle:
    slug: str
    path: str  # the article's canonical path (a wrong slug is redirected there)
    etag: str
    last_modified: int  # seconds since the epoch
    html: str
    placeholder: str  # stands where each visitor's CSRF token goes


@dataclass(frozen=True)
class KeptResults:
    html: str
    placeholder: str
    log_placeholder: int  # stands for the visitor's search log id in the result links
    result_count: int


def usable(request: HttpRequest) -> bool:
    """Anonymous, and nothing queued to show once (a flash message after signing out)."""
    return not request.user.is_authenticated and not len(get_messages(request))


def _key(kind: str, *parts: object) -> str:
    return search_cache.ranking_key(
        "page", kind, *parts, page_format_stamp(), current_theme().stamp
    )


def kept(kind: str, *parts: object):
    return cache.get(_key(kind, *parts))


def keep(page: KeptArticle | KeptResults | bytes, kind: str, *parts: object) -> None:
    # Search pages live as long as the ranking they show (knowledge.search_cache).
    seconds = PAGE_SECONDS if kind == "article" else search_cache.RESULT_SECONDS
    cache.set(_key(kind, *parts), page, seconds)


def new_placeholder() -> str:
    return f"kb-csrf-{secrets.token_hex(16)}"


def new_log_placeholder() -> int:
    """A number no real log id reaches, random so no page text can hold it by design."""
    return 10**17 + secrets.randbelow(8 * 10**17)


def with_token(request: HttpRequest, html: str, placeholder: str) -> str:
    return html.replace(placeholder, get_token(request))


def respond_article(request: HttpRequest, page: KeptArticle) -> HttpResponse:
    """304 when the visitor's copy is current, else the page with the visitor's CSRF token."""
    response = get_conditional_response(request, etag=page.etag, last_modified=page.last_modified)
    if response is None:
        response = HttpResponse(with_token(request, page.html, page.placeholder))
    return set_public_validators(response, page.etag, page.last_modified)


def respond_results(request: HttpRequest, page: KeptResults, log_id: int | None) -> HttpResponse:
    html = with_token(request, page.html, page.placeholder)
    if log_id is not None:
        html = html.replace(f"/{page.log_placeholder}/", f"/{log_id}/")
    return HttpResponse(html)
