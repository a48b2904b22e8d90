"""Search rankings and search pages are kept for minutes (knowledge.search_cache): an article
published for a later time must still be found by the first search after its time comes, and
the anonymous results page and suggestions must show it, though no write happens then."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from knowledge.search import search_articles

from .conftest import make_article

pytestmark = pytest.mark.django_db


def test_a_scheduled_article_is_found_once_its_time_has_come(section):
    make_article(section, en=("Capybara baths", "Capybaras like warm baths."))
    at = timezone.now() + timedelta(hours=2)
    make_article(section, published_at=at, en=("Capybara diet", "Capybaras eat grass."))
    client = Client()

    def seen() -> tuple[list[str], str, list[str]]:
        titles = [h.translation.title for h in search_articles("capybara", "en", 5)]
        page = client.get("/help/en/search/", {"q": "capybara"}).content.decode()
        suggested = client.get("/help/en/search/suggest/", {"q": "capybara"}).json()["results"]
        return titles, page, [s["title"] for s in suggested]

    titles, page, suggested = seen()
    assert titles == ["Capybara baths"] and suggested == ["Capybara baths"]
    assert "Capybara diet" not in page
    seen()  # now kept: ranking, page and suggestions

    later = at + timedelta(minutes=1)  # well within the kept entries' lifetime
    with mock.patch("django.utils.timezone.now", return_value=later):
        titles, page, suggested = seen()
    assert sorted(titles) == ["Capybara baths", "Capybara diet"]
    assert sorted(suggested) == ["Capybara baths", "Capybara diet"]
    assert "Capybara diet" in page


def test_nothing_scheduled_keeps_the_same_keys(section):
    from knowledge import search_cache

    make_article(section, en=("Tapir tips", "Tapirs swim."))
    first = search_cache.ranking_key("search", "en", "tapir")
    assert search_cache.schedule_stamp() == ""
    assert search_cache.ranking_key("search", "en", "tapir") == first
