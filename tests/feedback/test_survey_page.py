"""The public rating page: signed links, one response per ticket, changes within the window,
and every kind of bad input answered with a clear page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone, translation
from django.utils.translation import gettext

from feedback.models import Survey, SurveyResponse
from feedback.services.surveys import survey_url
from feedback.tokens import FOLLOWUP_SALT, SURVEY_SALT, make_token

from .conftest import links_in, open_ticket, send_due, solve, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_survey(agent, email_settings):
    ticket = open_ticket()
    solve(ticket, agent)
    [survey] = send_due()
    return survey


def path_of(url: str) -> str:
    return url.split("localhost:8000", 1)[1] if "localhost:8000" in url else url


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def test_link_opens_without_login_and_get_records_nothing(client, sent_survey):
    good = path_of(links_in(sent_survey.message.body_text)[0])
    page = client.get(good)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="ja"' in html
    assert "今回のサポートはいかがでしたか？" in html
    assert "data-autosubmit" in html  # the script posts the preselected choice
    assert 'value="1" required checked' in html
    assert not SurveyResponse.objects.exists()  # link scanners fetching it record nothing


def test_post_records_one_response_attributed_at_rating_time(client, sent_survey, agent):
    url = path_of(survey_url(sent_survey))
    reply = client.post(url, {"rating": "1", "comment": "とても助かりました"})
    assert reply.status_code == 302 and reply["Location"].endswith("?done=1")

    response = SurveyResponse.objects.get()
    assert (response.rating, response.is_good, response.comment) == (1, True, "とても助かりました")
    assert response.agent_id == sent_survey.ticket.assignee_id
    assert response.channel == "email"
    done = client.get(reply["Location"]).content.decode()
    assert "とても助かりました" in done


def test_csrf_is_enforced(sent_survey):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    url = path_of(survey_url(sent_survey))
    assert strict.post(url, {"rating": "1"}).status_code == 403
    assert not SurveyResponse.objects.exists()


def test_second_click_changes_the_rating_within_the_window(client, sent_survey):
    url = path_of(survey_url(sent_survey))
    client.post(url, {"rating": "1"})
    client.post(url, {"rating": "0", "reason": "回答が遅かった"})

    response = SurveyResponse.objects.get()
    assert (response.rating, response.reason, response.changes) == (0, "回答が遅かった", 1)


def test_double_submit_of_the_same_rating_is_one_response(client, sent_survey):
    url = path_of(survey_url(sent_survey))
    client.post(url, {"rating": "1"})
    client.post(url, {"rating": "1"})
    response = SurveyResponse.objects.get()
    assert response.changes == 0


def test_change_after_the_window_is_refused_with_a_clear_page(en, sent_survey):
    url = path_of(survey_url(sent_survey))
    en.post(url, {"rating": "1"})
    SurveyResponse.objects.update(created_at=timezone.now() - timedelta(hours=73))

    page = en.post(url, {"rating": "0"})
    assert page.status_code == 400
    with translation.override(sent_survey.language):  # the survey speaks the customer's language
        assert gettext("This rating can no longer be changed.") in page.content.decode()
    assert SurveyResponse.objects.get().rating == 1
    # The link still shows the recorded rating, with no form.
    shown = en.get(url + "?rating=0").content.decode()
    assert "data-autosubmit" not in shown and 'name="rating"' not in shown


def test_english_customer_sees_english(client, agent, email_settings):
    ticket = open_ticket()
    ticket.customer.language = "en"
    ticket.customer.save()
    solve(ticket, agent)
    [survey] = send_due()
    html = client.get(path_of(survey_url(survey, 0))).content.decode()
    assert 'lang="en"' in html
    assert "How would you rate the support you received?" in html
    assert "The answer took too long" in html


@pytest.mark.parametrize("rating", ["7", "-1", "abc", "", "1.5"])
def test_rating_out_of_range_is_refused(client, sent_survey, rating):
    page = client.post(path_of(survey_url(sent_survey)), {"rating": rating})
    assert page.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_five_point_value_on_a_good_bad_survey_is_refused(client, sent_survey):
    assert client.post(path_of(survey_url(sent_survey)), {"rating": "4"}).status_code == 400


def test_unknown_reason_and_oversized_comment_are_refused(client, sent_survey):
    url = path_of(survey_url(sent_survey))
    assert client.post(url, {"rating": "0", "reason": "<b>made up</b>"}).status_code == 400
    assert client.post(url, {"rating": "0", "comment": "x" * 2001}).status_code == 400
    assert not SurveyResponse.objects.exists()


def test_comment_html_is_kept_as_text_and_escaped(client, sent_survey):
    url = path_of(survey_url(sent_survey))
    client.post(url, {"rating": "1", "comment": '<script>alert(1)</script><img src=x onerror="x">'})
    html = client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_tampered_token_gets_a_clear_not_valid_page(en, sent_survey):
    token = make_token(pk=sent_survey.pk, nonce=sent_survey.nonce, salt=SURVEY_SALT)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    page = en.get(f"/survey/{tampered}/")
    assert page.status_code == 404
    assert "This link is not valid" in page.content.decode()
    # Another survey's id under the same signature is just as invalid.
    value = signing.loads(token, salt=SURVEY_SALT)
    forged = signing.dumps([value[0] + 1, value[1]], salt="not-ours")
    assert en.post(f"/survey/{forged}/", {"rating": "1"}).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_follow_up_token_does_not_open_a_survey(en, sent_survey):
    token = make_token(pk=sent_survey.pk, nonce=sent_survey.nonce, salt=FOLLOWUP_SALT)
    assert en.get(f"/survey/{token}/").status_code == 404


def test_oversized_and_garbage_tokens(en, db):
    assert en.get("/survey/" + "a" * 400 + "/").status_code == 404
    assert en.get("/survey/%00%ff/").status_code == 404
    assert en.get("/survey/....../").status_code == 404


def test_expired_link_gets_a_clear_expired_page(en, sent_survey):
    url = path_of(survey_url(sent_survey))
    Survey.objects.filter(pk=sent_survey.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = en.post(url, {"rating": "1"})
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_revoked_nonce_invalidates_earlier_links(en, sent_survey):
    url = path_of(survey_url(sent_survey))
    Survey.objects.filter(pk=sent_survey.pk).update(nonce="replaced")
    assert en.get(url).status_code == 404


def test_answers_per_survey_are_rate_limited(en, sent_survey):
    url = path_of(survey_url(sent_survey))
    for _ in range(30):
        en.post(url, {"rating": "1"})
    page = en.post(url, {"rating": "0"})
    assert page.status_code == 400
    with translation.override(sent_survey.language):
        expected = gettext("Too many answers in a short time. Please try again in an hour.")
    assert expected in page.content.decode()
    assert SurveyResponse.objects.get().rating == 1


def test_every_link_in_the_mail_carries_the_same_signed_survey(sent_survey):
    tokens = {token_of(url) for url in links_in(sent_survey.message.body_text)}
    assert len(tokens) == 1
    assert signing.loads(tokens.pop(), salt=SURVEY_SALT) == [sent_survey.pk, sent_survey.nonce]


def test_comment_with_nul_bytes_gets_a_clear_error(client, sent_survey):
    page = client.post(path_of(survey_url(sent_survey)), {"rating": "1", "comment": "a\x00b"})
    assert page.status_code == 400
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("rating", ["9", "²", "abc", "1" * 500, ""])
def test_odd_preselected_ratings_in_the_link_just_preselect_nothing(client, sent_survey, rating):
    page = client.get(path_of(survey_url(sent_survey)), {"rating": rating})
    assert page.status_code == 200
    assert "data-autosubmit" not in page.content.decode()
