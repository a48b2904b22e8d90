"""Search over many matches ranks only a capped set of candidates, title hits first; and the
benchmark's article generator stores exactly what knowledge.services would."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from bench.datagen.articles import BENCH_PREFIX, generate_articles
from knowledge import search_candidates
from knowledge.models import Article, ArticleTranslation
from knowledge.search import search_articles, translation_vector

from .conftest import make_article

pytestmark = pytest.mark.django_db


def test_title_matches_stay_on_top_when_the_candidates_are_capped(section, monkeypatch):
    monkeypatch.setattr(search_candidates, "RANKED_TITLE_CANDIDATES", 2)
    monkeypatch.setattr(search_candidates, "RANKED_OTHER_CANDIDATES", 1)
    monkeypatch.setattr(search_candidates, "PROBE_ROWS", 3)
    for n in range(8):
        make_article(section, en=(f"Shipping note {n}", f"Something about a voucher {n}."))
    in_title = [
        make_article(section, en=(f"Voucher rules {n}", "How they work.")) for n in range(2)
    ]

    # Equal votes: the windows take the oldest matches, yet the (newest) title hits are found.
    hits = search_articles("voucher", "en", 2)

    assert {hit.translation.article_id for hit in hits} == {a.pk for a in in_title}


def test_the_best_voted_matches_fill_a_capped_window(section, monkeypatch):
    monkeypatch.setattr(search_candidates, "RANKED_TITLE_CANDIDATES", 1)
    monkeypatch.setattr(search_candidates, "RANKED_OTHER_CANDIDATES", 1)
    monkeypatch.setattr(search_candidates, "PROBE_ROWS", 2)
    plain = [make_article(section, en=(f"Voucher rules {n}", "How they work.")) for n in range(5)]
    liked = make_article(section, en=("Voucher rules", "How they work."))
    ArticleTranslation.objects.filter(article=liked).update(helpful_votes=9)
    ArticleTranslation.objects.filter(article=plain[0]).update(helpful_votes=3, unhelpful_votes=9)

    hits = search_articles("voucher", "en", 1)

    assert [hit.translation.article_id for hit in hits] == [liked.pk]


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


def test_a_title_of_very_many_words_saves_and_is_found(section):
    # 200 distinct kanji: far more lexemes than an index row of the vote-ordered walk may hold.
    rng = random.Random(5)
    title = "返品" + "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(198))
    article = make_article(section, ja=(title, "本文です。"))

    assert [hit.translation.article_id for hit in search_articles("返品", "ja", 5)] == [article.pk]
