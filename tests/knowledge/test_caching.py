"""Anonymous article pages are cacheable and revalidate to 304 without rendering."""

from __future__ import annotations

import pytest

from knowledge import services

from .conftest import article_url, make_article, translation_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(section):
    return make_article(section, en=("Delivery days", "Two to four days."))


def test_an_anonymous_article_page_carries_validators_and_public_max_age(client, article):
    response = client.get(article_url(article, "en"))

    assert response.status_code == 200
    assert response["ETag"].startswith('"') and response["Last-Modified"]
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"public", "max-age=300"} <= directives
    head = client.head(article_url(article, "en"))
    assert head.status_code == 200 and head["ETag"] == response["ETag"]


def test_a_conditional_get_answers_304_without_rendering(
    client, article, django_assert_max_num_queries
):
    url = article_url(article, "en")
    first = client.get(url)

    with django_assert_max_num_queries(3):
        by_etag = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_date.status_code == 304
    assert "max-age=300" in by_etag["Cache-Control"]
    assert by_etag["ETag"] == first["ETag"]


def test_an_edit_changes_the_etag(client, article):
    url = article_url(article, "en")
    before = client.get(url)["ETag"]

    services.save_translation(
        article=article,
        language="en",
        title="Delivery days",
        body="Two to five days.",
        summary="About Delivery days",
    )
    after = client.get(url, HTTP_IF_NONE_MATCH=before)

    assert after.status_code == 200 and after["ETag"] != before
    assert "Two to five days." in after.content.decode()


def test_a_change_to_a_related_article_changes_the_etag(client, article, section):
    url = article_url(article, "en")
    before = client.get(url)["ETag"]
    make_article(section, en=("Delivery to islands", "Longer."))

    assert client.get(url, HTTP_IF_NONE_MATCH=before).status_code == 200


def test_a_vote_does_not_change_the_etag_and_the_thank_you_page_is_its_own(client, article):
    url = article_url(article, "en")
    before = client.get(url)["ETag"]
    client.post(f"/help/en/a/{article.pk}/feedback/", {"helpful": "yes"})

    assert client.get(url, HTTP_IF_NONE_MATCH=before).status_code == 304
    thanks = client.get(url + "?feedback=voted-yes", HTTP_IF_NONE_MATCH=before)
    assert thanks.status_code == 200 and thanks["ETag"] != before


def test_signed_in_viewers_get_a_private_uncached_page(customer_client, article):
    response = customer_client.get(article_url(article, "en"))

    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert not response.has_header("ETag")
    assert translation_of(article, "en").title in response.content.decode()


def test_repeat_views_reuse_the_stamp_and_the_related_list(
    client, article, section, django_assert_max_num_queries
):
    make_article(section, en=("Delivery to islands", "Longer."))
    url = article_url(article, "en")
    first = client.get(url)
    assert "Delivery to islands" in first.content.decode()

    with django_assert_max_num_queries(1):  # the article itself, read through the rules
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_assert_max_num_queries(2):
        again = client.get(url)
    assert again.status_code == 200 and "Delivery to islands" in again.content.decode()
    assert again["ETag"] == first["ETag"]
