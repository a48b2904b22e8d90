"""The "insert article link" panel on the agent's ticket page, and the search behind it.

Registered with `tickets.panels` in KnowledgeConfig.ready() (tickets cannot import us). The
agent searches the help center in the customer's language and inserts the article's public
URL into the reply. Only what a customer can open is offered: internal and unpublished
articles would be a dead link in the customer's mail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from helpdesk.roles import staff_required

from .models import Language
from .search import search_articles, suggest_articles
from .search_views import SUGGESTIONS_LIMIT, _query
from .seo import article_path

LINK_RESULTS = 8


def panel_language(ticket: Any) -> str:
    """The customer's language when it is one the help center has ("ja-JP" → ja), else ja."""
    language = (getattr(ticket.customer, "language", "") or "").split("-")[0].lower()
    return language if language in Language.values else Language.JA


# The panel is the same markup for every ticket but for its id (in element ids) and the
# preselected language: rendered once per UI language, script prefix and panel language with a
# stand-in for the id, then the id put in (the template shows no outside text).
_TICKET_PK = "0000kbticketpk0000"
_rendered: dict[tuple, str] = {}


def render_link_panel(request: HttpRequest, ticket: Any) -> str:
    language = panel_language(ticket)
    # The compiled template is part of the key: an edited template (development) starts afresh.
    template = get_template("knowledge/_link_panel.html")
    key = (id(template.template), get_language() or "", get_script_prefix(), language)
    html = _rendered.get(key)
    if html is None:
        if len(_rendered) > 100:
            _rendered.clear()
        html = _rendered[key] = template.render(
            {"ticket": {"pk": _TICKET_PK}, "language": language, "languages": Language.choices},
            request,
        )
    return html.replace(_TICKET_PK, str(int(ticket.pk)))


@staff_required
@require_GET
def link_search(request: HttpRequest) -> HttpResponse:
    """GET ?q=…&lang=ja|en → {"results": [{"id", "title", "summary", "url"}]} (absolute URLs)."""
    lang = request.GET.get("lang", "")
    if lang not in Language.values:
        return JsonResponse({"detail": "Unknown language."}, status=400)
    query = _query(request)
    customer = AnonymousUser()  # what the customer will be able to open
    hits = [hit.translation for hit in search_articles(query, lang, LINK_RESULTS, viewer=customer)]
    if len(hits) < SUGGESTIONS_LIMIT:  # a title still being typed ("passw")
        seen = {t.pk for t in hits}
        hits += [
            t
            for t in suggest_articles(query, lang, SUGGESTIONS_LIMIT, viewer=customer)
            if t.pk not in seen
        ]
    response = JsonResponse(
        {
            "query": query,
            "results": [
                {
                    "id": t.article_id,
                    "title": t.title,
                    "summary": t.summary,
                    "url": request.build_absolute_uri(article_path(t)),
                }
                for t in hits[:LINK_RESULTS]
            ]
            if query
            else [],
        }
    )
    patch_cache_control(response, private=True, no_cache=True)
    return response
