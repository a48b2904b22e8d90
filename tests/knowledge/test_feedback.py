""" "Was this helpful?": one answer per article and session, a re-vote changes it, rate limited."""

from __future__ import annotations

import pytest
from django.test import Client

from knowledge.models import ArticleFeedback
from knowledge.reader_services import FEEDBACK_PER_SESSION_PER_HOUR

from .conftest import article_url, make_article, translation_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(section):
    return make_article(section, en=("Tracking a parcel", "Use the number."))


def vote(client, article, helpful: str, comment: str = ""):
    return client.post(
        f"/help/en/a/{article.pk}/feedback/", {"helpful": helpful, "comment": comment}
    )


def test_a_vote_without_javascript_thanks_and_offers_a_comment(client, article):
    response = vote(client, article, "yes")

    assert response.status_code == 302
    assert response["Location"] == article_url(article, "en") + "?feedback=voted-yes#feedback"
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert "Thank you for your feedback!" in page and 'name="comment"' in page
    translation = translation_of(article, "en")
    assert (translation.helpful_votes, translation.unhelpful_votes) == (1, 0)


def test_a_second_vote_in_the_same_session_changes_the_first(client, article):
    vote(client, article, "yes")
    vote(client, article, "yes")
    vote(client, article, "no")
    response = vote(client, article, "no", comment="The tracking link is broken.")

    assert response["Location"].endswith("?feedback=thanks#feedback")
    assert ArticleFeedback.objects.count() == 1
    feedback = ArticleFeedback.objects.get()
    assert feedback.helpful is False and feedback.comment == "The tracking link is broken."
    translation = translation_of(article, "en")
    assert (translation.helpful_votes, translation.unhelpful_votes) == (0, 1)


def test_other_sessions_count_separately(article):
    for _ in range(3):
        vote(Client(), article, "yes")
    assert translation_of(article, "en").helpful_votes == 3
    assert ArticleFeedback.objects.count() == 3


def test_votes_are_rate_limited_per_session(client, section):
    articles = [
        make_article(section, en=(f"Article {n}", "x"))
        for n in range(FEEDBACK_PER_SESSION_PER_HOUR + 1)
    ]
    locations = [vote(client, article, "yes")["Location"] for article in articles]

    assert all("voted-yes" in location for location in locations[:-1])
    assert "feedback=limited" in locations[-1]
    assert ArticleFeedback.objects.count() == FEEDBACK_PER_SESSION_PER_HOUR
    page = client.get(locations[-1].split("#")[0]).content.decode()
    assert "Please try again later" in page


def test_bad_votes_are_refused(client, article):
    assert vote(client, article, "maybe").status_code == 400
    assert client.get(f"/help/en/a/{article.pk}/feedback/").status_code == 405
    assert vote(client, article, "yes", comment="x" * 5000).status_code == 400
    assert ArticleFeedback.objects.count() == 0


def test_a_vote_needs_the_csrf_token(article):
    strict = Client(enforce_csrf_checks=True)
    assert vote(strict, article, "yes").status_code == 403
    page = strict.get(article_url(article, "en")).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = strict.post(
        f"/help/en/a/{article.pk}/feedback/", {"helpful": "yes", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
