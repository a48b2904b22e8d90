"""Search over many matches ranks only a capped set of candidates, title hits first; and the
benchmark's article generator stores exactly what knowledge.services would."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.datagen.articles import BENCH_PREFIX, generate_articles
from knowledge import search
from knowledge.models import Article, ArticleTranslation
from knowledge.search import search_articles, translation_vector

from .conftest import make_article

pytestmark = pytest.mark.django_db


def test_title_matches_stay_on_top_when_the_candidates_are_capped(section, monkeypatch):
    monkeypatch.setattr(search, "RANKED_TITLE_CANDIDATES", 2)
    monkeypatch.setattr(search, "RANKED_OTHER_CANDIDATES", 1)
    for n in range(8):
        make_article(section, en=(f"Shipping note {n}", f"Something about a voucher {n}."))
    in_title = [
        make_article(section, en=(f"Voucher rules {n}", "How they work.")) for n in range(2)
    ]

    hits = search_articles("voucher", "en", 10)

    assert len(hits) == 3  # two title hits and one other, not all ten
    assert {hit.translation.article_id for hit in hits[:2]} == {a.pk for a in in_title}


def test_the_generator_stores_what_the_editor_would_and_runs_once():
    generate_articles(connection, count=40, seed=3)
    bench = Article.objects.filter(section__slug__startswith=BENCH_PREFIX)
    assert bench.filter(internal=False, translations__status="published").distinct().count() >= 40
    assert set(bench.values_list("translations__language", flat=True)) == {"ja", "en"}
    for translation in ArticleTranslation.objects.filter(article__in=bench)[:25]:
        stored = translation.search_vector
        ArticleTranslation.objects.filter(pk=translation.pk).update(
            search_vector=translation_vector(
                title=translation.title,
                summary=translation.summary,
                body_text=translation.body_text,
            )
        )
        translation.refresh_from_db()
        assert translation.search_vector == stored, translation.title
    before = set(bench.values_list("pk", flat=True))
    generate_articles(connection, count=40, seed=3)  # already there: nothing changes
    assert set(bench.values_list("pk", flat=True)) == before
    assert search_articles("返品", "ja", 5) and search_articles("refund", "en", 5)
