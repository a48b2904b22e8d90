"""Anonymous article pages are cacheable and revalidate to 304 without rendering."""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory

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


def _csrf_tokens(html: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)


def test_anonymous_repeat_views_are_served_whole_with_each_visitors_own_csrf_token(
    article, django_assert_num_queries
):
    url = article_url(article, "en")
    first_visitor = Client(enforce_csrf_checks=True)
    first = first_visitor.get(url)
    second_visitor = Client(enforce_csrf_checks=True)

    with django_assert_num_queries(0):  # no query and no rendering: the kept page
        second = second_visitor.get(url)

    html = second.content.decode()
    assert second.status_code == 200 and second["ETag"] == first["ETag"]
    assert "Two to four days." in html and "kb-csrf-" not in html
    tokens = _csrf_tokens(html)
    assert tokens and set(tokens).isdisjoint(_csrf_tokens(first.content.decode()))
    assert "csrftoken" in second.cookies  # the visitor's token comes with its cookie
    vote = second_visitor.post(
        f"/help/en/a/{article.pk}/feedback/", {"helpful": "yes", "csrfmiddlewaretoken": tokens[0]}
    )
    assert vote.status_code == 302  # the token in the kept page is this visitor's, and valid
    assert translation_of(article, "en").helpful_votes == 1


def test_a_kept_page_still_redirects_a_wrong_slug_and_follows_an_edit(client, article):
    url = article_url(article, "en")
    client.get(url)

    wrong = client.get(f"/help/en/a/{article.pk}-old-title/")
    assert wrong.status_code == 301 and wrong["Location"] == url
    services.save_translation(
        article=article, language="en", title="Delivery days", body="Next day.", summary=""
    )
    assert "Next day." in client.get(url).content.decode()
    services.unpublish_translation(translation_of(article, "en"))
    assert client.get(url).status_code == 404


def test_a_page_with_a_message_to_show_is_rendered_for_that_visitor_only(client, article):
    url = article_url(article, "en")
    client.get(url)  # the page is kept now
    # A message queued for this visitor ("You have signed out.") is shown, not the kept page.
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.INFO, "You have signed out.")
    carrier = HttpResponse()
    storage.update(carrier)
    signed_out = Client()
    signed_out.cookies["messages"] = carrier.cookies["messages"].value

    assert "You have signed out." in signed_out.get(url).content.decode()
    assert "You have signed out." not in Client().get(url).content.decode()
