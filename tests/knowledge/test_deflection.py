"""Deflection on the contact form and "searches followed by a ticket", end to end through the
contact form, the ticket signal and the beacon endpoint."""

from __future__ import annotations

import pytest
from django.test import Client

from knowledge.deflection import BEACONS_PER_SESSION_PER_HOUR, form_token_of
from knowledge.models import ContactAttempt, SearchQueryLog
from tickets.models import Ticket

from .conftest import make_article

pytestmark = pytest.mark.django_db

TOKEN = "tok-0123456789abcdefXYZ"


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def article(section):
    return make_article(section, en=("Tracking a parcel", "Use the tracking number."))


def csrf_of(client) -> str:
    client.get("/help/en/contact/")
    return client.cookies["csrftoken"].value


def beacon(client, csrf, **data):
    return client.post(
        "/help/en/contact-beacon/", {"csrfmiddlewaretoken": csrf, "form": TOKEN, **data}
    )


def send_form(client, csrf, capture, token=TOKEN, email="olivia@example.com"):
    with capture(execute=True):
        return client.post(
            "/help/en/contact/",
            {
                "csrfmiddlewaretoken": csrf,
                "name": "Olivia",
                "email": email,
                "subject": "Where is my parcel?",
                "message": "It has not arrived.",
                "form_token": token,
            },
        )


def test_the_contact_page_carries_the_beacon_url(client):
    page = client.get("/help/en/contact/").content.decode()
    assert 'data-kb-beacon="/help/en/contact-beacon/"' in page


def test_suggestions_opened_and_left_counts_as_deflected(client, article):
    csrf = csrf_of(client)
    assert beacon(client, csrf, event="view").status_code == 204
    assert beacon(client, csrf, event="suggested", count="3").status_code == 204
    assert beacon(client, csrf, event="opened", article=str(article.pk)).status_code == 204

    attempt = ContactAttempt.objects.get(form_token=TOKEN)
    assert attempt.suggestions_shown == 3
    assert attempt.opened_article == article
    assert attempt.deflected


def test_sending_the_form_marks_the_visit_and_the_sessions_searches(
    client, article, django_capture_on_commit_callbacks
):
    client.get("/help/en/search/", {"q": "parcel"})
    client.get("/help/en/search/", {"q": "lost parcel insurance"})
    csrf = csrf_of(client)
    beacon(client, csrf, event="suggested", count="1")
    beacon(client, csrf, event="opened", article=str(article.pk))

    response = send_form(client, csrf, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    ticket = Ticket.objects.get(channel="web")
    attempt = ContactAttempt.objects.get(form_token=TOKEN)
    assert attempt.ticket == ticket and attempt.submitted_at is not None
    assert not attempt.deflected
    assert list(SearchQueryLog.objects.values_list("led_to_ticket", flat=True)) == [True, True]


def test_another_sessions_searches_are_not_marked(
    client, article, django_capture_on_commit_callbacks
):
    other = Client()
    other.get("/help/en/search/", {"q": "parcel"})
    csrf = csrf_of(client)
    beacon(client, csrf, event="view")

    send_form(client, csrf, django_capture_on_commit_callbacks)

    assert not SearchQueryLog.objects.filter(led_to_ticket=True).exists()


def test_a_form_sent_without_any_beacon_still_files_its_ticket(
    client, django_capture_on_commit_callbacks
):
    csrf = csrf_of(client)
    send_form(client, csrf, django_capture_on_commit_callbacks)

    assert Ticket.objects.filter(channel="web").count() == 1
    assert not ContactAttempt.objects.exists()


def test_a_failing_receiver_never_undoes_the_ticket(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("knowledge.deflection.contact_form_sent", broken)
    csrf = csrf_of(client)
    beacon(client, csrf, event="view")

    response = send_form(client, csrf, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert Ticket.objects.filter(channel="web").count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"event": "explode"},
        {"event": "view", "form": "short"},
        {"event": "view", "form": "<script>alert(1)</script>-0123456789"},
        {"event": "opened", "article": "999999"},
        {"event": "opened", "article": "1; DROP TABLE x"},
    ],
)
def test_malformed_beacons_are_refused_and_write_nothing(client, data):
    csrf = csrf_of(client)
    response = beacon(client, csrf, **data)

    assert response.status_code == 400
    assert not ContactAttempt.objects.exclude(form_token=TOKEN).exists()
    assert not ContactAttempt.objects.filter(opened_article__isnull=False).exists()


def test_an_internal_article_cannot_be_reported_as_opened(client, section):
    internal = make_article(section, internal=True, en=("Refund script", "Agents only."))
    csrf = csrf_of(client)
    assert beacon(client, csrf, event="opened", article=str(internal.pk)).status_code == 400


def test_beacons_need_the_csrf_token_and_post(client):
    client.get("/help/en/contact/")
    assert (
        client.post("/help/en/contact-beacon/", {"form": TOKEN, "event": "view"}).status_code == 403
    )
    assert client.get("/help/en/contact-beacon/").status_code == 405


def test_oversized_beacons_are_refused(client):
    csrf = csrf_of(client)
    response = beacon(client, csrf, event="view", padding="x" * 4000)
    assert response.status_code == 413
    assert not ContactAttempt.objects.exists()


def test_beacons_are_rate_limited_per_session(client):
    csrf = csrf_of(client)
    for _ in range(BEACONS_PER_SESSION_PER_HOUR):
        beacon(client, csrf, event="suggested", count="1")

    assert beacon(client, csrf, event="suggested", count="1").status_code == 429
    assert ContactAttempt.objects.get().suggestions_shown == BEACONS_PER_SESSION_PER_HOUR


def test_the_stored_visit_holds_no_personal_data(client, django_capture_on_commit_callbacks):
    csrf = csrf_of(client)
    beacon(client, csrf, event="view")
    send_form(client, csrf, django_capture_on_commit_callbacks)

    stored = " ".join(str(value) for value in ContactAttempt.objects.values().get().values())
    assert "olivia" not in stored.lower() and "parcel" not in stored.lower()


def test_only_web_form_messages_carry_a_form_token():
    assert form_token_of(f"web:form:{TOKEN}") == TOKEN
    assert form_token_of("web:portal:1:abc") == ""
    assert form_token_of("web:form:../../etc") == ""
