"""Search pages of the help center: results, search-as-you-type suggestions, result clicks."""

from __future__ import annotations

import dataclasses
import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation as i18n
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from . import page_cache, seo
from .models import SearchQueryLog
from .reader_services import log_search, record_search_click
from .search import MAX_QUERY_CHARS, SearchHit, search_articles, suggest_articles
from .selectors import article_page, is_staff_viewer

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
RESULTS_LIMIT = 20
SUGGESTIONS_LIMIT = 5


def _query(request: HttpRequest) -> str:
    # Whatever arrives is only ever text: bounded, control characters (NUL, which PostgreSQL
    # refuses to store) dropped, whitespace collapsed, never interpreted.
    raw = _CONTROL.sub(" ", request.GET.get("q", "")[: MAX_QUERY_CHARS * 4])
    return " ".join(raw.split())[:MAX_QUERY_CHARS]


@require_safe
def search(request: HttpRequest, lang: str) -> HttpResponse:
    i18n.activate(lang)
    query = _query(request)
    # Anonymous visitors asking what someone asked lately get that page (page_cache), with
    # their own search logged: the knowledge-gap reports count every search.
    shared = bool(query) and page_cache.usable(request)
    kept = page_cache.kept("search", lang, query) if shared else None
    if kept is not None:
        log = _log(request, query, lang, kept.result_count)
        return page_cache.respond_results(request, kept, log.pk if log else None)
    hits = search_articles(query, lang, RESULTS_LIMIT, viewer=request.user) if query else []
    log = _log(request, query, lang, len(hits)) if query else None
    meta = seo.PageMeta(
        title=_("Search results") if query else _("Search"),
        description="",
        language=lang,
        path=reverse("knowledge:search", kwargs={"lang": lang}),
        noindex=True,
    )
    context = {"lang": lang, "meta": meta, "query": query, "results": _results(hits, lang, log)}
    if not shared or log is None:
        return render(request, "knowledge/search.html", context)
    # Rendered with placeholders for the per-request parts, kept, then filled in.
    kept = page_cache.KeptResults(
        html="",
        placeholder=page_cache.new_placeholder(),
        log_placeholder=page_cache.new_log_placeholder(),
        result_count=len(hits),
    )
    context.update(
        csrf_token=kept.placeholder,
        results=_results(hits, lang, SearchQueryLog(pk=kept.log_placeholder)),
    )
    html = render(request, "knowledge/search.html", context).content.decode()
    kept = dataclasses.replace(kept, html=html)
    page_cache.keep(kept, "search", lang, query)
    return page_cache.respond_results(request, kept, log.pk)


# A stand-in id reversed once per page: the result links differ only by the article's id.
_STAND_IN_PK = 987654321


def _results(hits: list[SearchHit], lang: str, log: SearchQueryLog | None) -> list[tuple]:
    """(hit, link) pairs: through the click log when the search was logged, else straight to
    the article. One reverse() per page, not one per result."""
    if log is None:
        return [(hit, seo.article_path(hit.translation)) for hit in hits]
    shape = reverse(
        "knowledge:search_click", kwargs={"lang": lang, "log_id": log.pk, "pk": _STAND_IN_PK}
    )
    head, _stand_in, tail = shape.rpartition(f"/{_STAND_IN_PK}/")
    return [(hit, f"{head}/{int(hit.translation.article_id)}/{tail}") for hit in hits]


def _log(request: HttpRequest, query: str, lang: str, result_count: int) -> SearchQueryLog | None:
    """Log a customer's search (staff checking answers are not what customers ask)."""
    if is_staff_viewer(request.user):
        return None
    # A session ties the search to a contact form sent afterwards (knowledge-gap reports).
    if not request.session.get("kb_reader"):  # a write only on the first search
        request.session["kb_reader"] = True
    if request.session.session_key is None:
        request.session.save()
    return log_search(
        query=query,
        language=lang,
        result_count=result_count,
        session_key=request.session.session_key,
    )


@require_safe
def suggest(request: HttpRequest, lang: str) -> HttpResponse:
    """Top titles for what is being typed: the home search box and the contact form's subject."""
    i18n.activate(lang)
    query = _query(request)
    if request.user.is_authenticated:
        # Signed-in customers may see sections of their organization: never a shared copy.
        response = JsonResponse(_suggestions(request, query, lang))
        patch_cache_control(response, private=True, no_cache=True)
        return response
    # The same for every anonymous visitor: kept whole for a while (page_cache).
    body = page_cache.kept("suggest", lang, query)
    if body is None:
        body = JsonResponse(_suggestions(request, query, lang)).content
        page_cache.keep(body, "suggest", lang, query)
    response = HttpResponse(body, content_type="application/json")
    patch_cache_control(response, public=True, max_age=60)
    return response


def _suggestions(request: HttpRequest, query: str, lang: str) -> dict:
    found = suggest_articles(query, lang, SUGGESTIONS_LIMIT, viewer=request.user) if query else []
    return {
        "query": query,
        "results": [
            {
                "id": t.article_id,
                "title": t.title,
                "summary": t.summary,
                "url": seo.article_path(t),
            }
            for t in found
        ],
    }


@require_GET
def search_click(request: HttpRequest, lang: str, log_id: int, pk: int) -> HttpResponse:
    """A result link: note which article the search led to, then go there."""
    page = article_page(request.user, pk, lang)  # 404 for anything this viewer may not read
    record_search_click(log_id=log_id, article=page.article)
    if page.translation is None:
        return redirect("knowledge:article_short", lang=lang, pk=pk)
    return redirect(seo.article_path(page.translation))
