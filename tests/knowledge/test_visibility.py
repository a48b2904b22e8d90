"""Customers see only published, public articles whose time has come: anything else is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge import services

from .conftest import article_url, make_article, translation_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden(section):
    """Four articles a customer must never reach, each with a distinctive word."""
    draft = make_article(section, published=False, en=("Draft zebra", "zebra"))
    internal = make_article(section, internal=True, en=("Internal yak", "yak"))
    scheduled = make_article(
        section, published_at=timezone.now() + timedelta(days=1), en=("Scheduled walrus", "walrus")
    )
    withdrawn = make_article(section, en=("Withdrawn okapi", "okapi"))
    services.unpublish_translation(translation_of(withdrawn, "en"))
    return {"zebra": draft, "yak": internal, "walrus": scheduled, "okapi": withdrawn}


@pytest.fixture(params=["anonymous", "customer"])
def reader(request, client, customer_client):
    return client if request.param == "anonymous" else customer_client


def test_hidden_articles_are_404_not_403_by_slug_or_by_bare_id(reader, hidden):
    for article in hidden.values():
        assert reader.get(article_url(article, "en")).status_code == 404
        assert reader.get(f"/help/en/a/{article.pk}/").status_code == 404
        assert reader.get(f"/help/ja/a/{article.pk}/").status_code == 404
        assert (
            reader.post(f"/help/en/a/{article.pk}/feedback/", {"helpful": "yes"}).status_code == 404
        )


def test_hidden_articles_are_in_no_listing_search_suggestion_or_sitemap(reader, hidden, section):
    make_article(section, en=("Visible kiwi", "kiwi"))  # the section has something to show
    pages = [
        reader.get("/help/en/").content.decode(),
        reader.get(f"/help/en/c/{section.category.slug}/").content.decode(),
        reader.get(f"/help/en/s/{section.slug}/").content.decode(),
        reader.get("/help/en/faq/").content.decode(),
        reader.get("/sitemap.xml").content.decode(),
    ]
    text = "\n".join(pages)

    assert "Visible kiwi" in text
    for word, article in hidden.items():
        assert word not in text.lower(), word
        assert f"/a/{article.pk}-" not in text
        results = reader.get("/help/en/search/", {"q": word}).content.decode()
        assert "/search/go/" not in results  # the page says 0 results; it links to nothing
        assert reader.get("/help/en/search/suggest/", {"q": word}).json()["results"] == []


def test_an_empty_category_is_404(client, section):
    make_article(section, published=False, en=("Only a draft", "x"))
    assert client.get(f"/help/en/c/{section.category.slug}/").status_code == 404
    assert client.get(f"/help/en/s/{section.slug}/").status_code == 404
    assert client.get("/help/en/c/no-such-thing/").status_code == 404


def test_staff_see_internal_articles_and_may_preview_drafts(agent_client, hidden):
    internal = agent_client.get(article_url(hidden["yak"], "en"))
    draft = agent_client.get(article_url(hidden["zebra"], "en"))

    assert internal.status_code == 200 and "Internal yak" in internal.content.decode()
    assert draft.status_code == 200 and "Draft zebra" in draft.content.decode()
    assert "private" in draft["Cache-Control"]
    search = agent_client.get("/help/en/search/", {"q": "yak"}).content.decode()
    assert "Internal yak" in search
