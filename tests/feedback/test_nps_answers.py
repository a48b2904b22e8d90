"""The public NPS answer page: one click records a score, a later click changes it within the
window, and tampered, foreign, expired and hostile input gets a clear page, never an error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from feedback.models import NpsRecipient, SurveyOptOut
from feedback.services import nps_answers
from feedback.services.nps_sending import nps_opt_out_url, nps_url
from feedback.tokens import NPS_SALT, SURVEY_SALT, make_token

from .nps_helpers import customer_with_ticket, nps_links, path_of, running, sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient():
    customer_with_ticket(language="ja")
    item = running(change_window_hours=48)
    sweep(item)
    return item.recipients.get()


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def test_link_shows_the_score_preselected_and_a_get_records_nothing(client, recipient):
    link = nps_links(recipient.message.body_text)[7]
    page = client.get(path_of(link))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="ja"' in html and "当社を友人や同僚に薦める可能性" in html
    assert "data-autosubmit" in html and 'value="7" required checked' in html
    assert html.count('name="score"') == 11
    recipient.refresh_from_db()
    assert recipient.score is None  # a mail scanner fetching the link rates nothing


def test_post_records_the_score_and_comment(client, recipient):
    reply = client.post(path_of(nps_url(recipient)), {"score": "10", "comment": "とても親切"})
    assert reply.status_code == 302 and reply["Location"].endswith("?done=1")
    recipient.refresh_from_db()
    assert (recipient.score, recipient.comment, recipient.category) == (
        10,
        "とても親切",
        "promoter",
    )
    assert recipient.answered_at is not None

    thanks = client.get(reply["Location"])
    html = thanks.content.decode()
    assert 'data-score="10"' in html and "data-autosubmit" not in html


def test_a_later_click_changes_the_score_within_the_window(client, recipient):
    url = path_of(nps_url(recipient))
    client.post(url, {"score": "3", "comment": "遅い"})
    client.post(url, {"score": "8"})
    recipient.refresh_from_db()
    assert (recipient.score, recipient.changes, recipient.comment) == (8, 1, "遅い")

    # Past the window the answer stands and the page says so.
    NpsRecipient.objects.filter(pk=recipient.pk).update(
        answered_at=timezone.now() - timedelta(hours=49)
    )
    late = client.post(url, {"score": "0"})
    assert late.status_code == 400
    recipient.refresh_from_db()
    assert recipient.score == 8
    page = client.get(url + "?score=2")
    assert "data-autosubmit" not in page.content.decode()


def test_the_same_click_twice_changes_nothing(client, recipient):
    url = path_of(nps_url(recipient, 6))
    client.post(url.split("?")[0], {"score": "6"})
    again = client.get(url)
    assert "data-autosubmit" not in again.content.decode()  # already recorded: just shown
    client.post(url.split("?")[0], {"score": "6"})
    recipient.refresh_from_db()
    assert (recipient.score, recipient.changes) == (6, 0)


@pytest.mark.parametrize("score", ["11", "-1", "ten", "", "9.5", "1e3"])
def test_out_of_range_scores_get_a_clear_message(en, recipient, score):
    reply = en.post(path_of(nps_url(recipient)), {"score": score})
    assert reply.status_code == 400
    html = reply.content.decode()
    assert 'lang="ja"' in html  # the page speaks the customer's language, not the visitor's
    recipient.refresh_from_db()
    assert recipient.score is None


def test_comment_html_is_shown_as_text_and_oversized_comments_are_refused(client, recipient):
    url = path_of(nps_url(recipient))
    client.post(url, {"score": "2", "comment": '<script>alert(1)</script><b onclick="x">hi</b>'})
    page = client.get(url).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page

    too_long = client.post(url, {"score": "2", "comment": "あ" * 2001})
    assert too_long.status_code == 400
    recipient.refresh_from_db()
    assert recipient.comment.startswith("<script>")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "x" * 400,
        "%22%3E%3Cimg src=x onerror=alert(1)%3E",
        "%00",
        signing.dumps([1, "nonce"], salt="other"),
    ],
    ids=["garbage", "oversized", "html", "nul", "other-salt"],
)
def test_hostile_tokens_get_the_invalid_link_page(en, recipient, token):
    page = en.get(f"/survey/nps/{token}/")
    assert page.status_code == 404
    assert 'data-link-problem="invalid"' in page.content.decode()


def test_tampered_foreign_and_revoked_tokens_are_refused(en, recipient):
    good = nps_url(recipient).rsplit("/", 2)[1]
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    assert en.get(f"/survey/nps/{tampered}/").status_code == 404
    # A CSAT survey token never opens an NPS answer, even for the same number.
    csat = make_token(pk=recipient.pk, nonce=recipient.nonce, salt=SURVEY_SALT)
    assert en.get(f"/survey/nps/{csat}/").status_code == 404
    # Another customer's nonce does not work with this id.
    wrong = make_token(pk=recipient.pk, nonce="someone-else", salt=NPS_SALT)
    assert en.get(f"/survey/nps/{wrong}/").status_code == 404
    # A recipient that was never sent has no working link.
    NpsRecipient.objects.filter(pk=recipient.pk).update(status="queued")
    assert en.get(f"/survey/nps/{good}/").status_code == 404


def test_expired_links_get_the_expired_page(en, recipient):
    NpsRecipient.objects.filter(pk=recipient.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = en.get(path_of(nps_url(recipient)))
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert en.post(path_of(nps_url(recipient)), {"score": "9"}).status_code == 410
    recipient.refresh_from_db()
    assert recipient.score is None


def test_posts_without_csrf_are_refused(recipient):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    reply = strict.post(path_of(nps_url(recipient)), {"score": "9"})
    assert reply.status_code == 403
    recipient.refresh_from_db()
    assert recipient.score is None


def test_too_many_answers_are_slowed_down(client, recipient):
    url = path_of(nps_url(recipient))
    for score in range(nps_answers.POSTS_PER_RECIPIENT_PER_HOUR):
        client.post(url, {"score": str(score % 11)})
    reply = client.post(url, {"score": "5"})
    assert reply.status_code == 400


def test_the_english_page_is_english(client):
    customer_with_ticket(language="en")
    item = running()
    sweep(item)
    page = client.get(path_of(nps_url(item.recipients.get())))
    html = page.content.decode()
    assert 'lang="en"' in html
    assert "How likely are you to recommend us to a friend or colleague?" in html
    assert "Not at all likely" in html and "Extremely likely" in html


def test_unsubscribe_asks_then_records_and_keeps_them_out_of_later_campaigns(client, recipient):
    url = path_of(nps_opt_out_url(recipient))
    assert url in path_of(recipient.message.body_text.split()[-1])
    ask = client.get(url)
    assert ask.status_code == 200 and not SurveyOptOut.objects.exists()

    assert client.post(url).status_code == 302
    assert SurveyOptOut.objects.filter(customer_id=recipient.customer_id).exists()
    assert "data-opted-out" in client.get(url).content.decode()
    client.post(url)  # twice is fine
    assert SurveyOptOut.objects.count() == 1

    later = running(name="later", exclude_recent_days=0)
    sweep(later)
    assert later.recipients.count() == 0


def test_unsubscribe_link_cannot_be_forged(en, recipient):
    forged = make_token(pk=recipient.pk, nonce="guess", salt="feedback.nps-opt-out")
    assert en.get(f"/survey/nps/{forged}/stop/").status_code == 404
    answer_token = nps_url(recipient).rsplit("/", 2)[1]
    assert en.post(f"/survey/nps/{answer_token}/stop/").status_code == 404
    assert not SurveyOptOut.objects.exists()
