"""The anonymous search results page is kept whole (knowledge.page_cache): a repeat search costs
no ranking and no rendering, yet every visitor's search is logged and their result links and
CSRF tokens are their own; edits are seen by the next search."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from knowledge import services
from knowledge.models import SearchQueryLog

from .conftest import make_article, translation_of

pytestmark = pytest.mark.django_db


def _search(client: Client, query: str) -> str:
    response = client.get("/help/en/search/", {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeat_search_is_the_kept_page_with_this_visitors_log_and_token(section):
    article = make_article(section, en=("Voucher rules", "How vouchers work."))
    first = _search(Client(), "voucher")
    visitor = Client(enforce_csrf_checks=True)

    # The visitor's session and search log are written; no article is read or ranked.
    with CaptureQueriesContext(connection) as queries:
        page = _search(visitor, "voucher")
    assert not [q for q in queries.captured_queries if "knowledge_article" in q["sql"]]

    first_log, log = SearchQueryLog.objects.order_by("pk")
    assert (log.query, log.result_count, log.session_key) == (
        "voucher",
        1,
        visitor.session.session_key,
    )
    assert f"/help/en/search/go/{log.pk}/{article.pk}/" in page
    assert f"/go/{first_log.pk}/" in first and f"/go/{first_log.pk}/" not in page
    assert "<mark>voucher</mark>" in page and "kb-csrf-" not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    switched = visitor.post("/i18n/setlang/", {"language": "ja", "csrfmiddlewaretoken": token})
    assert switched.status_code == 302  # the token in the kept page is valid for this visitor


def test_an_edit_or_an_unpublished_article_is_seen_by_the_next_search(section):
    article = make_article(section, en=("Voucher rules", "How vouchers work."))
    assert "Voucher rules" in _search(Client(), "voucher")

    services.save_translation(
        article=article, language="en", title="Gift voucher rules", body="Same.", summary=""
    )
    assert "Gift voucher rules" in _search(Client(), "voucher")
    services.unpublish_translation(translation_of(article, "en"))
    assert "Gift voucher rules" not in _search(Client(), "voucher")


def test_signed_in_customers_get_their_own_page(section, customer_client):
    make_article(section, en=("Voucher rules", "How vouchers work."))
    _search(Client(), "voucher")

    page = _search(customer_client, "voucher")

    assert "Voucher rules" in page and "Sign in" not in page


def test_anonymous_suggestions_are_kept_and_follow_edits(section, django_assert_num_queries):
    article = make_article(section, en=("Voucher rules", "How vouchers work."))
    first = Client().get("/help/en/search/suggest/", {"q": "vouch"})

    with django_assert_num_queries(0):
        again = Client().get("/help/en/search/suggest/", {"q": "vouch"})

    assert again.json() == first.json()
    assert [r["title"] for r in again.json()["results"]] == ["Voucher rules"]
    assert again["Content-Type"] == "application/json" and "public" in again["Cache-Control"]
    services.save_translation(
        article=article, language="en", title="Voucher terms", body="Same.", summary=""
    )
    titles = [
        r["title"]
        for r in Client().get("/help/en/search/suggest/", {"q": "vouch"}).json()["results"]
    ]
    assert titles == ["Voucher terms"]
