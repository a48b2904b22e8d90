"""Public pages: home, listings, article, slug redirects, missing translations, the switcher."""

from __future__ import annotations

import re

import pytest

from knowledge.models import ArticleTranslation

from .conftest import article_url, make_article, translation_of

pytestmark = pytest.mark.django_db


def test_help_redirects_to_a_language_and_the_home_lists_categories(client, help_center):
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="en").url == "/help/en/"
    home = client.get("/help/ja/").content.decode()

    assert 'role="search"' in home and 'name="q"' in home
    assert "ご注文・配送" in home and "返品・交換" in home and "/help/ja/s/returns/" in home
    assert "/help/ja/faq/" in home


def test_a_category_and_a_section_list_their_articles_in_the_language(client, help_center):
    category = client.get("/help/en/c/returns-payments/").content.decode()
    section = client.get("/help/en/s/payments/").content.decode()

    assert "Refunds and returns" in category and "Ways to pay" in category
    assert "返品・交換について" not in category
    # Articles written only in Japanese are offered as such, marked with their language.
    assert "Ways to pay" in section and "Only available in another language" in section
    assert "コンビニ払いの支払期限" in section


def test_a_wrong_or_missing_slug_redirects_permanently_to_the_right_one(client, help_center):
    translation = ArticleTranslation.objects.get(language="en", slug="refunds-and-returns")
    right = f"/help/en/a/{translation.article_id}-refunds-and-returns/"

    wrong = client.get(f"/help/en/a/{translation.article_id}-old-title/")
    bare = client.get(f"/help/en/a/{translation.article_id}/")
    japanese_slug = client.get(f"/help/en/a/{translation.article_id}-returns-exchanges/")

    for response in (wrong, bare, japanese_slug):
        assert response.status_code == 301 and response["Location"] == right
    assert client.get(right).status_code == 200


def test_an_article_page_has_breadcrumbs_date_related_articles_and_feedback(client, help_center):
    translation = ArticleTranslation.objects.get(language="ja", slug="returns-exchanges")
    page = client.get(article_url(translation.article, "ja")).content.decode()

    crumbs = re.search(r'<nav class="crumbs".*?</nav>', page, re.S).group()
    assert "ヘルプセンター" in crumbs and "返品・お支払い" in crumbs and "返品・交換" in crumbs
    assert "最終更新日" in page and "<time datetime=" in page
    assert "関連記事" in page and "破損品・不良品・違う商品が届いた場合" in page
    assert "この記事は役に立ちましたか？" in page
    assert "<strong>8日以内</strong>" in page  # Markdown rendered
    assert "Also in English" not in page and "Englishでも読めます" in page


def test_a_missing_translation_says_so_and_links_the_other_language(client, help_center):
    only_ja = ArticleTranslation.objects.get(language="ja", slug="konbini-payment-deadline")

    response = client.get(f"/help/en/a/{only_ja.article_id}-whatever/")
    page = response.content.decode()

    assert response.status_code == 404  # nothing to index in English…
    assert "This article is not available in English yet" in page  # …but a real page
    assert f'href="/help/ja/a/{only_ja.article_id}-konbini-payment-deadline/"' in page
    assert '<meta name="robots" content="noindex">' in page


def test_the_language_switcher_keeps_the_article(client, help_center):
    english = ArticleTranslation.objects.get(language="en", slug="refunds-and-returns")
    page = client.get(article_url(english.article, "en")).content.decode()
    japanese = translation_of(english.article, "ja")

    target = re.search(
        r'name="language" value="ja">\s*<input type="hidden" name="next" value="([^"]+)"', page
    ).group(1)
    assert target == f"/help/ja/a/{english.article_id}-{japanese.slug}/"
    switched = client.post("/i18n/setlang/", {"language": "ja", "next": target})
    assert switched.status_code == 302 and switched["Location"] == target


def test_the_switcher_on_a_category_page_keeps_the_category(client, help_center):
    page = client.get("/help/ja/c/account/").content.decode()
    assert 'name="next" value="/help/en/c/account/"' in page


def test_list_and_article_pages_use_a_bounded_number_of_queries(
    client, help_center, section, django_assert_max_num_queries
):
    for number in range(8):
        make_article(section, en=(f"Extra {number}", "text"), ja=(f"追加 {number}", "本文"))
    article = section.articles.first()
    for url in [
        "/help/en/",
        f"/help/en/c/{section.category.slug}/",
        f"/help/en/s/{section.slug}/",
        "/help/en/faq/",
        article_url(article, "en"),
    ]:
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200, url
