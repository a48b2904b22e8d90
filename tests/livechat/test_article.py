"""The full article inside the widget: published text only, sanitized, cross-origin."""

from __future__ import annotations

import pytest

from tests.knowledge.conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(db):
    from knowledge import services

    category = services.upsert_category(slug="chat", name_ja="チャット", name_en="Chat")
    return services.upsert_section(
        category=category, slug="chat-faq", name_ja="質問", name_en="FAQ"
    )


def test_a_published_article_is_served_whole_and_sanitized(client, chat_channel, section):
    body = "返品は**30日以内**です。\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"
    article = make_article(section, ja=("返品について", body))
    response = client.get(f"/widget/{chat_channel.public_key}/article/ja/{article.pk}/")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["title"] == "返品について"
    assert "<strong>30日以内</strong>" in data["html"]
    assert "<script" not in data["html"] and "<img src=x onerror" not in data["html"]
    assert data["url"].startswith(f"/help/ja/a/{article.pk}-")


def test_drafts_internal_articles_and_wrong_input_are_not_found(client, chat_channel, section):
    draft = make_article(section, published=False, ja=("下書き", "まだ"))
    internal = make_article(section, internal=True, ja=("社内", "秘密"))
    english_only = make_article(section, en=("Returns", "Within 30 days"))
    key = chat_channel.public_key
    for url in (
        f"/widget/{key}/article/ja/{draft.pk}/",
        f"/widget/{key}/article/ja/{internal.pk}/",
        f"/widget/{key}/article/ja/{english_only.pk}/",
        f"/widget/{key}/article/xx/{english_only.pk}/",
        f"/widget/{key}/article/ja/999999/",
        f"/widget/ch_unknown/article/en/{english_only.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
    assert client.get(f"/widget/{key}/article/en/{english_only.pk}/").status_code == 200
    assert client.post(f"/widget/{key}/article/en/{english_only.pk}/").status_code == 405
