"""The in-app article editor: who may use it, ja/en side by side, drafts, schedule, history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from knowledge.models import Article, ArticleStatus, ArticleTranslation, Category, Section
from tests.factories import UserFactory

from .conftest import make_article, translation_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client):
    client.force_login(UserFactory(role="agent"))
    return client


def column(language, **values):
    data = {"title": "", "slug": "", "summary": "", "body": "", "status": "draft", "publish_at": ""}
    data.update(values)
    return {f"{language}-{key}": value for key, value in data.items()}


def article_form(section, **extra):
    return {"section": section.pk, "position": "3", "labels": "faq, Returns", **extra}


@pytest.mark.parametrize(
    "role, status",
    [
        ("agent", 200),
        ("manager", 200),
        ("admin", 200),
        ("light_agent", 403),
        ("customer", 403),
    ],
)
def test_editor_is_for_agents_and_up(client, role, status):
    client.force_login(UserFactory(role=role))
    assert client.get("/help/manage/").status_code == status
    assert client.get("/help/manage/new/").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/help/manage/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_writing_both_languages_side_by_side(agent_client, section):
    data = {
        **article_form(section),
        **column(
            "ja", title="返品の方法", body="**30日以内**なら返品できます。", status="published"
        ),
        **column("en", title="How to return an item", body="Within *30 days*."),
    }
    response = agent_client.post("/help/manage/new/", data)

    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/help/manage/{article.pk}/"
    assert article.labels == ["faq", "returns"] and article.position == 3
    ja, en = translation_of(article, "ja"), translation_of(article, "en")
    assert ja.status == ArticleStatus.PUBLISHED and ja.is_live()
    assert "<strong>30日以内</strong>" in ja.body_html
    assert en.status == ArticleStatus.DRAFT
    # A draft is not on the public site; the published language is.
    assert agent_client.get("/help/ja/search/?q=返品").status_code == 200
    anonymous_page = agent_client.get("/help/manage/").content.decode()
    assert "返品の方法" in anonymous_page


def test_an_empty_language_column_is_not_a_translation(agent_client, section):
    data = {**article_form(section), **column("en", title="Only English", body="Hello")}
    agent_client.post("/help/manage/new/", data)

    assert list(ArticleTranslation.objects.values_list("language", flat=True)) == ["en"]


def test_an_article_needs_one_language_and_each_text_a_title(agent_client, section):
    nothing = agent_client.post("/help/manage/new/", {**article_form(section)})
    untitled = agent_client.post(
        "/help/manage/new/", {**article_form(section), **column("ja", body="本文だけ")}
    )

    assert nothing.status_code == 400 and untitled.status_code == 400
    assert not Article.objects.exists()


def test_editing_keeps_the_old_text_as_a_version_and_can_unpublish(agent_client, section):
    article = make_article(section, en=("Shipping times", "Two days."))
    data = {
        **article_form(section),
        **column("en", title="Shipping times", body="Three days.", status="draft"),
    }

    agent_client.post(f"/help/manage/{article.pk}/", data)

    translation = translation_of(article, "en")
    assert translation.body == "Three days." and translation.status == ArticleStatus.DRAFT
    assert list(translation.versions.values_list("body", flat=True)) == ["Two days."]
    assert Client().get(f"/help/en/a/{article.pk}/").status_code == 404  # a draft again


def test_a_future_publish_time_schedules_the_article(agent_client, section, client):
    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    agent_client.post(
        "/help/manage/new/",
        {
            **article_form(section),
            **column(
                "en", title="Holiday hours", body="Closed.", status="published", publish_at=later
            ),
        },
    )

    translation = ArticleTranslation.objects.get()
    assert translation.status == ArticleStatus.PUBLISHED and not translation.is_live()
    listing = agent_client.get("/help/manage/?status=scheduled").content.decode()
    assert "Holiday hours" in listing


def test_the_list_filters_by_status_language_section_and_title(agent_client, section):
    other_section = Section.objects.create(category=section.category, slug="other", name_en="Other")
    make_article(section, en=("Published English", "x"))
    make_article(section, published=False, ja=("下書きの記事", "x"))
    make_article(other_section, en=("Elsewhere", "x"), ja=("別の場所", "y"))

    def titles(query):
        page = agent_client.get(f"/help/manage/?{query}").content.decode()
        return {t for t in ["Published English", "下書きの記事", "別の場所"] if t in page}

    assert titles("") == {"Published English", "下書きの記事", "別の場所"}
    assert titles("status=draft") == {"下書きの記事"}
    assert titles("language=missing-ja") == {"Published English"}
    assert titles("language=ja") == {"下書きの記事", "別の場所"}
    assert titles(f"section={other_section.pk}") == {"別の場所"}
    assert titles("q=publish") == {"Published English"}


def test_preview_uses_the_same_sanitizer(agent_client):
    response = agent_client.post(
        "/help/manage/preview/",
        {
            "body": "# 見出し\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n"
            "![remote](https://tracker.example/p.png)",
        },
    )

    html = response.json()["html"]
    assert "<h1>見出し</h1>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert 'href="javascript' not in html
    assert "tracker.example" not in html


def test_preview_refuses_what_is_too_long(agent_client):
    response = agent_client.post("/help/manage/preview/", {"body": "a" * 200_001})
    assert response.status_code == 400 and response.json()["detail"]


def test_history_shows_a_diff_and_restores(agent_client, section):
    article = make_article(section, en=("Returns", "Line one.\nOld line."))
    translation = translation_of(article, "en")
    agent_client.post(
        f"/help/manage/{article.pk}/",
        {
            **article_form(section),
            **column("en", title="Returns", body="Line one.\nNew line.", status="published"),
        },
    )

    page = agent_client.get(
        f"/help/manage/{article.pk}/en/history/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'kb-diff__line--removed">- Old line.' in page
    assert 'kb-diff__line--added">+ New line.' in page

    version = translation.versions.get()
    response = agent_client.post(f"/help/manage/{article.pk}/en/history/{version.pk}/restore/")
    assert response.status_code == 302
    translation.refresh_from_db()
    assert translation.body == "Line one.\nOld line."
    assert translation.versions.count() == 2  # the replaced text is kept too


def test_a_version_of_another_translation_cannot_be_restored(agent_client, section):
    first = make_article(section, en=("A", "a"))
    second = make_article(section, en=("B", "b"))
    translation = translation_of(second, "en")
    from knowledge import services

    services.save_translation(article=second, language="en", title="B", body="b2")
    version = translation.versions.get()

    response = agent_client.post(f"/help/manage/{first.pk}/en/history/{version.pk}/restore/")
    assert response.status_code == 404


def test_managers_reorder_categories_and_sections(client, section):
    client.force_login(UserFactory(role="manager"))
    second = Section.objects.create(
        category=section.category, slug="second", name_en="Second", position=5
    )
    client.post(
        "/help/manage/structure/move/", {"kind": "section", "pk": second.pk, "direction": "-1"}
    )

    order = list(section.category.sections.order_by("position").values_list("slug", flat=True))
    assert order == ["second", "testing-basics"]
    other = Category.objects.create(slug="zz", name_en="ZZ", position=9)
    client.post(
        "/help/manage/structure/move/", {"kind": "category", "pk": other.pk, "direction": "-1"}
    )
    assert list(Category.objects.order_by("position").values_list("slug", flat=True)) == [
        "zz",
        "testing",
    ]


def test_moving_past_the_end_changes_nothing_and_bad_moves_are_refused(client, section):
    client.force_login(UserFactory(role="manager"))
    client.post(
        "/help/manage/structure/move/", {"kind": "section", "pk": section.pk, "direction": "1"}
    )
    assert Section.objects.get().position == 1
    assert (
        client.post(
            "/help/manage/structure/move/", {"kind": "table", "pk": "1", "direction": "1"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/help/manage/structure/move/", {"kind": "section", "pk": "999", "direction": "1"}
        ).status_code
        == 404
    )


def test_agents_may_not_reorder_or_read_reports(agent_client, section):
    assert agent_client.get("/help/manage/structure/").status_code == 403
    assert (
        agent_client.post(
            "/help/manage/structure/move/", {"kind": "section", "pk": section.pk, "direction": "1"}
        ).status_code
        == 403
    )
    assert agent_client.get("/help/manage/reports/").status_code == 403


def test_managers_add_categories_and_sections(client):
    client.force_login(UserFactory(role="manager"))
    client.post("/help/manage/structure/add/", {"slug": "billing", "name_ja": "請求"})
    category = Category.objects.get(slug="billing")
    client.post(
        "/help/manage/structure/add/",
        {"category": category.pk, "slug": "invoices", "name_en": "Invoices"},
    )
    assert Section.objects.get(slug="invoices").category == category
    duplicate = client.post("/help/manage/structure/add/", {"slug": "billing", "name_en": "X"})
    nameless = client.post("/help/manage/structure/add/", {"slug": "nameless"})
    assert duplicate.status_code == 400 and nameless.status_code == 400


def test_create_from_a_search_prefills_the_title(agent_client):
    page = agent_client.get("/help/manage/new/?lang=ja&title=ポイントの使い方").content.decode()
    assert 'value="ポイントの使い方"' in page
