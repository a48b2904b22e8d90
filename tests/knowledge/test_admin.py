"""Staff edit through the Django admin, and every save still goes through the services."""

from __future__ import annotations

import pytest

from helpdesk.models import User
from knowledge.models import Article, ArticleStatus, ArticleTranslation, ArticleVersion

from .conftest import make_article, translation_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin@example.com", "pw-for-admin-123"))
    return client


def inline_data(**translation) -> dict:
    data = {
        "translations-TOTAL_FORMS": "1",
        "translations-INITIAL_FORMS": "0",
        "translations-MIN_NUM_FORMS": "1",
        "translations-MAX_NUM_FORMS": "2",
    }
    data.update({f"translations-0-{key}": value for key, value in translation.items()})
    return data


def test_an_article_added_in_the_admin_is_rendered_sanitized_and_published(admin_client, section):
    response = admin_client.post(
        "/admin/knowledge/article/add/",
        {
            "section": section.pk,
            "position": "1",
            "labels": "FAQ, Shipping",
            **inline_data(
                language="en",
                title="Wrapping gifts",
                slug="",
                summary="How we wrap",
                body="We **wrap** it.<script>x()</script>",
                status="published",
                published_at_0="",
                published_at_1="",
            ),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    translation = translation_of(article, "en")
    assert article.labels == ["faq", "shipping"] and article.author.email == "admin@example.com"
    assert translation.slug == "wrapping-gifts" and "<strong>wrap</strong>" in translation.body_html
    assert "<script>" not in translation.body_html
    assert translation.status == ArticleStatus.PUBLISHED and translation.published_at
    assert admin_client.get(f"/help/en/a/{article.pk}-wrapping-gifts/").status_code == 200


def test_editing_a_translation_in_the_admin_keeps_a_version(admin_client, section):
    article = make_article(section, en=("Old title", "Old body"))
    translation = translation_of(article, "en")

    response = admin_client.post(
        f"/admin/knowledge/articletranslation/{translation.pk}/change/",
        {
            "article": article.pk,
            "language": "en",
            "title": "New title",
            "slug": translation.slug,
            "summary": "",
            "body": "New body",
            "status": "published",
            "published_at_0": "",
            "published_at_1": "",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    translation.refresh_from_db()
    assert translation.title == "New title" and translation.body_text == "New body"
    assert ArticleVersion.objects.get().title == "Old title"
    page = admin_client.get(f"/admin/knowledge/articletranslation/{translation.pk}/change/")
    assert page.status_code == 200 and "Old title" in page.content.decode()


def test_the_publish_action_publishes_drafts(admin_client, section):
    draft = make_article(section, published=False, en=("Draft", "x"), ja=("下書き", "本文"))

    admin_client.post(
        "/admin/knowledge/article/",
        {
            "action": "publish_articles",
            "_selected_action": [draft.pk],
        },
    )

    statuses = set(ArticleTranslation.objects.values_list("status", flat=True))
    assert statuses == {ArticleStatus.PUBLISHED}


def test_admin_lists_render(admin_client, help_center):
    for model in [
        "category",
        "section",
        "article",
        "articletranslation",
        "articlefeedback",
        "searchquerylog",
    ]:
        assert admin_client.get(f"/admin/knowledge/{model}/").status_code == 200, model
