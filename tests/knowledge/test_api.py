"""/api/v1/articles/: public reading of published articles, staff writing with a token."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from knowledge.models import Article, ArticleStatus
from tests.factories import UserFactory

from .conftest import make_article, translation_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(section):
    return {
        "returns": make_article(
            section,
            ja=("返品・交換について", "返品は30日以内"),
            en=("Refunds and returns", "Within 30 days."),
        ),
        "draft": make_article(section, published=False, en=("Secret draft", "x")),
        "internal": make_article(section, internal=True, en=("Agent script", "x")),
    }


def token_client(role: str) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=UserFactory(role=role))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def ids(response) -> set[int]:
    return {item["id"] for item in response.json()["results"]}


def test_anonymous_readers_see_published_customer_articles_only(articles):
    response = APIClient().get("/api/v1/articles/")

    assert response.status_code == 200
    assert ids(response) == {articles["returns"].pk}
    item = response.json()["results"][0]
    assert {t["language"] for t in item["translations"]} == {"ja", "en"}
    en = next(t for t in item["translations"] if t["language"] == "en")
    assert set(en) >= {"title", "slug", "summary", "body_html", "status", "published_at", "url"}
    assert en["url"].startswith(f"/help/en/a/{articles['returns'].pk}-")


def test_drafts_and_internal_articles_are_404_for_the_public(articles):
    client = APIClient()
    assert client.get(f"/api/v1/articles/{articles['draft'].pk}/").status_code == 404
    assert client.get(f"/api/v1/articles/{articles['internal'].pk}/").status_code == 404
    found = client.get(f"/api/v1/articles/{articles['returns'].pk}/")
    assert found.status_code == 200 and found.json()["id"] == articles["returns"].pk


def test_staff_see_everything(articles):
    response = token_client("light_agent").get("/api/v1/articles/")
    assert ids(response) == {a.pk for a in articles.values()}


@pytest.mark.parametrize("query, language", [("返品したい", "ja"), ("refund", "en")])
def test_search_finds_the_article(articles, query, language):
    response = APIClient().get("/api/v1/articles/", {"q": query, "language": language})

    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == articles["returns"].pk


@pytest.mark.parametrize("query", ["' OR 1=1 --", "<script>", ".*(", "x" * 10_000])
def test_hostile_queries_are_just_text(articles, query):
    response = APIClient().get("/api/v1/articles/", {"q": query[:1024], "language": "en"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert articles["draft"].pk not in ids(response)


def test_filters_by_language_and_section(articles, section):
    only_ja = make_article(section, ja=("日本語だけ", "本文"))
    client = APIClient()
    assert ids(client.get("/api/v1/articles/", {"language": "ja"})) == {
        articles["returns"].pk,
        only_ja.pk,
    }
    assert ids(client.get("/api/v1/articles/", {"section": 99999})) == set()
    assert client.get("/api/v1/articles/", {"language": "fr"}).status_code == 400


def test_an_agent_creates_an_article_with_a_token(section):
    response = token_client("agent").post(
        "/api/v1/articles/",
        {
            "section": section.pk,
            "labels": ["FAQ"],
            "translations": [
                {
                    "language": "ja",
                    "title": "ギフト包装",
                    "body": "**無料**です。",
                    "status": "published",
                },
                {"language": "en", "title": "Gift wrapping", "body": "Free."},
            ],
        },
        format="json",
    )

    assert response.status_code == 201
    article = Article.objects.get(pk=response.json()["id"])
    assert article.labels == ["faq"]
    assert translation_of(article, "ja").status == ArticleStatus.PUBLISHED
    assert "<strong>無料</strong>" in translation_of(article, "ja").body_html
    assert translation_of(article, "en").status == ArticleStatus.DRAFT


def test_an_agent_updates_one_language(articles):
    article = articles["returns"]
    response = token_client("agent").patch(
        f"/api/v1/articles/{article.pk}/",
        {
            "translations": [
                {
                    "language": "en",
                    "title": "Refunds and returns",
                    "body": "Within 60 days.",
                    "status": "published",
                }
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    assert translation_of(article, "en").body == "Within 60 days."
    assert translation_of(article, "en").versions.count() == 1
    assert translation_of(article, "ja").body == "返品は30日以内"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"translations": [{"language": "en", "title": "x"}]}, "section"),
        ({"section": 1, "translations": []}, "translations"),
        ({"section": 1, "translations": [{"language": "fr", "title": "x"}]}, "translations"),
        ({"section": 1, "translations": [{"language": "en", "title": ""}]}, "translations"),
        (
            {
                "section": 1,
                "translations": [
                    {"language": "en", "title": "a"},
                    {"language": "en", "title": "b"},
                ],
            },
            "translations",
        ),
        (
            {"section": 1, "translations": [{"language": "en", "title": "a", "colour": "red"}]},
            "translations",
        ),
        (
            {"section": 1, "colour": "red", "translations": [{"language": "en", "title": "a"}]},
            "colour",
        ),
    ],
)
def test_invalid_articles_are_refused_with_json(section, body, field):
    if body.get("section") == 1:
        body["section"] = section.pk
    response = token_client("agent").post("/api/v1/articles/", body, format="json")

    assert response.status_code == 400 and field in response.json()
    assert not Article.objects.exists()


@pytest.mark.parametrize("role, status", [("light_agent", 403), ("customer", 403)])
def test_only_editors_write(section, role, status):
    response = token_client(role).post(
        "/api/v1/articles/",
        {"section": section.pk, "translations": [{"language": "en", "title": "x"}]},
        format="json",
    )
    assert response.status_code == status


def test_anonymous_writes_get_401(section):
    response = APIClient().post("/api/v1/articles/", {}, format="json")
    assert response.status_code == 401 and response.json()["detail"]


def test_the_schema_describes_articles():
    schema = APIClient().get("/api/schema/?format=json").json()

    assert {"get", "post"} <= set(schema["paths"]["/api/v1/articles/"])
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/articles/{id}/"])


def test_a_patch_keeps_what_it_does_not_send(articles):
    article = articles["returns"]
    response = token_client("agent").patch(
        f"/api/v1/articles/{article.pk}/",
        {"translations": [{"language": "en", "title": "Returns and refunds"}]},
        format="json",
    )

    assert response.status_code == 200
    en = translation_of(article, "en")
    assert (en.title, en.body, en.status) == (
        "Returns and refunds",
        "Within 30 days.",
        ArticleStatus.PUBLISHED,
    )
