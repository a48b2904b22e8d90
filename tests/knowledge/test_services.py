"""Writes: rendering through the sanitizer, version history, slugs, publishing, seeding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge import services
from knowledge.demo_seed import seed_help_center
from knowledge.models import Article, ArticleStatus, ArticleTranslation, ArticleVersion

from .conftest import make_article, translation_of

pytestmark = pytest.mark.django_db


def test_markdown_is_rendered_and_sanitized(section):
    article = make_article(
        section,
        en=(
            "Hostile",
            "# Heading\n\n**bold** [ok](https://example.com) [bad](javascript:alert(1))\n\n"
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        ),
    )
    html = translation_of(article, "en").body_html

    assert "<h1>Heading</h1>" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and "<table>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # raw HTML in Markdown stays visible text, not markup


def test_every_change_keeps_the_previous_text_as_a_version(section):
    article = make_article(section, en=("First title", "First body"))
    translation = translation_of(article, "en")

    services.save_translation(article=article, language="en", title="Second title", body="Second")
    services.save_translation(article=article, language="en", title="Second title", body="Second")
    services.save_translation(article=article, language="en", title="Third title", body="Third")

    versions = list(ArticleVersion.objects.filter(translation=translation).order_by("id"))
    assert [v.title for v in versions] == ["First title", "Second title"]  # the no-op kept none
    assert versions[0].body == "First body"
    translation.refresh_from_db()
    assert translation.title == "Third title" and translation.body_text == "Third"


def test_an_unchanged_save_does_not_touch_the_updated_date(section):
    article = make_article(section, en=("Same", "Same body"))
    before = translation_of(article, "en").updated_at

    services.save_translation(
        article=article, language="en", title="Same", body="Same body", summary="About Same"
    )

    assert translation_of(article, "en").updated_at == before


def test_slugs_are_unique_per_language_and_japanese_titles_keep_their_characters(section):
    first = make_article(section, en=("Refunds", "a"), ja=("返品について", "本文"))
    second = make_article(section, en=("Refunds", "b"), ja=("返品について", "本文"))

    assert translation_of(first, "en").slug == "refunds"
    assert translation_of(second, "en").slug == "refunds-2"
    assert translation_of(first, "ja").slug == "返品について"
    assert translation_of(second, "ja").slug == "返品について-2"


def test_a_new_translation_is_a_draft_until_published(section):
    article = services.create_article(section=section, labels=[" FAQ ", "faq", "Shipping"])
    translation = services.save_translation(article=article, language="en", title="T", body="B")

    assert translation.status == ArticleStatus.DRAFT and translation.published_at is None
    assert article.labels == ["faq", "shipping"]

    later = timezone.now() + timedelta(days=2)
    services.publish_translation(translation, at=later)
    translation.refresh_from_db()
    assert translation.status == ArticleStatus.PUBLISHED and translation.published_at == later
    assert not translation.is_live()  # scheduled

    services.unpublish_translation(translation)
    assert translation_of(article, "en").status == ArticleStatus.DRAFT


def test_the_search_vector_follows_the_text(section):
    article = make_article(section, en=("Gift wrapping", "We wrap presents."))
    translation = translation_of(article, "en")

    assert "gift" in str(
        ArticleTranslation.objects.values_list("search_vector", flat=True).get(pk=translation.pk)
    )
    services.save_translation(article=article, language="en", title="Engraving", body="Names")
    vector = str(
        ArticleTranslation.objects.values_list("search_vector", flat=True).get(pk=translation.pk)
    )
    assert "engrav" in vector and "gift" not in vector


def test_seeding_is_idempotent():
    first = seed_help_center()
    counts = (
        Article.objects.count(),
        ArticleTranslation.objects.count(),
        ArticleVersion.objects.count(),
    )
    second = seed_help_center()

    assert first["created"] == first["articles"] and second["created"] == 0
    assert (
        Article.objects.count(),
        ArticleTranslation.objects.count(),
        ArticleVersion.objects.count(),
    ) == counts
    assert ArticleTranslation.objects.filter(status=ArticleStatus.PUBLISHED).count() == counts[1]
    assert Article.objects.filter(labels__contains=["faq"]).count() == 2
    # Some articles exist in one language only.
    single = [
        a for a in Article.objects.prefetch_related("translations") if a.translations.count() == 1
    ]
    assert single


def test_a_line_break_inside_japanese_text_adds_no_space(section):
    article = make_article(
        section,
        ja=("改行", "返金は7日以内に行います。\nセール品は返品できません。"),
        en=("Breaks", "one line\nnext line"),
    )

    assert "行います。セール品" in translation_of(article, "ja").body_html
    assert "one line\nnext line" in translation_of(article, "en").body_html
