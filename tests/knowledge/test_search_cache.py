"""Remembered search rankings (knowledge.search_cache) never show stale or hidden articles:
edits, unpublishing and audience changes are seen by the very next search, and one
audience's remembered ranking is never another's."""

from __future__ import annotations

import pytest
from django.test import Client

from knowledge import services
from knowledge.models import Audience
from knowledge.search import search_articles, suggest_articles
from tests.factories import UserFactory

from .conftest import make_article, translation_of

pytestmark = pytest.mark.django_db


def _titles(query: str, language: str = "en", viewer=None) -> list[str]:
    return [hit.translation.title for hit in search_articles(query, language, 5, viewer=viewer)]


def test_an_edit_is_found_by_the_next_search_and_the_old_words_are_not(section):
    article = make_article(section, en=("Wombat care", "Feed the wombat twice a day."))
    assert _titles("wombat") == ["Wombat care"]
    services.save_translation(
        article=article, language="en", title="Numbat care", body="Feed the numbat at dusk."
    )
    assert _titles("numbat") == ["Numbat care"]
    assert _titles("wombat") == []


def test_an_unpublished_article_leaves_the_results_at_once(section):
    article = make_article(section, en=("Quokka facts", "The quokka smiles."))
    assert _titles("quokka") == ["Quokka facts"]
    services.unpublish_translation(translation_of(article, "en"))
    assert _titles("quokka") == []
    assert not Client().get("/help/en/search/suggest/", {"q": "quokka"}).json()["results"]


def test_one_audiences_ranking_is_never_anothers(section):
    services.set_section_access(section, audience=Audience.SIGNED_IN)
    make_article(section, en=("Members' pangolin guide", "Only for members: pangolins."))
    customer = Client()
    customer.force_login(UserFactory(role="customer", email="m@example.net"))
    # The signed-in customer's ranking is remembered first; anonymous visitors still get none.
    assert customer.get("/help/en/search/suggest/", {"q": "pangolin"}).json()["results"]
    assert not Client().get("/help/en/search/suggest/", {"q": "pangolin"}).json()["results"]
    page = Client().get("/help/en/search/", {"q": "pangolin"}).content.decode()
    assert "Members&#x27; pangolin guide" not in page and "pangolin guide" not in page
    # And the other way round, after the section opens up.
    services.set_section_access(section, audience=Audience.EVERYONE)
    assert Client().get("/help/en/search/suggest/", {"q": "pangolin"}).json()["results"]


def test_a_word_still_being_typed_is_suggested_by_its_beginning(section):
    make_article(section, en=("Resetting your password", "Use the link we send you."))
    make_article(section, en=("Shipping costs", "Free over 5,000 yen."))
    assert [t.title for t in suggest_articles("passw", "en")] == ["Resetting your password"]
    assert [t.title for t in suggest_articles("reset passw", "en")] == ["Resetting your password"]
    assert suggest_articles("zzzz", "en") == []
    # Metacharacters are only ever text: no tsquery syntax reaches PostgreSQL from the user.
    for hostile in ("passw:*", "a' | 'b", "passw\\", "パスワ'ド", "x" * 300):
        suggest_articles(hostile, "en")


def test_uncached_and_cached_searches_agree(section):
    for n in range(4):
        make_article(section, en=(f"Kiwi note {n}", f"About the kiwi, part {n}."))
    cached = [hit.translation.pk for hit in search_articles("kiwi", "en", 10)]
    again = [hit.translation.pk for hit in search_articles("kiwi", "en", 10)]
    fresh = [hit.translation.pk for hit in search_articles("kiwi", "en", 10, cached=False)]
    assert cached == again == fresh and len(cached) == 4
