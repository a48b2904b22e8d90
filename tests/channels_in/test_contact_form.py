"""The help-center contact form, the web-form channel: good input files a ticket once;
bad input gets a clear message and stores nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from channels_in.models import InboundEvent, InboundStatus
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

URL = "/help/en/contact/"


def form(**overrides):
    data = {
        "name": "Olivia Brown",
        "email": "olivia@example.com",
        "subject": "Where is my order?",
        "message": "Order 10482 has not arrived yet.",
        "form_token": "token-0123456789abcdef",
    }
    data.update(overrides)
    return data


def submit(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(URL, form(**overrides))


def test_the_form_renders_with_a_fresh_token(client):
    first = client.get(URL)
    second = client.get(URL)

    assert first.status_code == 200
    assert 'name="form_token"' in first.content.decode()
    assert (
        first.context["form"].initial["form_token"] != second.context["form"].initial["form_token"]
    )


def test_japanese_form_is_in_japanese(client):
    response = client.get("/help/ja/contact/")

    assert response.status_code == 200
    assert "お問い合わせ" in response.content.decode()


def test_a_submission_becomes_a_raw_event_and_then_a_ticket(
    client, django_capture_on_commit_callbacks
):
    attachment = SimpleUploadedFile(
        "レシート.pdf", b"%PDF-1.4 receipt", content_type="application/pdf"
    )

    response = submit(client, django_capture_on_commit_callbacks, attachments=attachment)

    assert response.status_code == 302
    assert response["Location"] == "/help/en/contact/sent/"
    event = InboundEvent.objects.get()
    assert event.kind == "web"
    assert b"Order 10482" in bytes(event.payload)  # the raw submission is kept as sent
    assert event.status == InboundStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.channel == "web"
    assert ticket.subject == "Where is my order?"
    assert ticket.customer.email == "olivia@example.com"
    assert ticket.customer.name == "Olivia Brown"
    stored = ticket.messages.get().attachments.get()
    assert stored.filename == "レシート.pdf"
    assert stored.file.read() == b"%PDF-1.4 receipt"


def test_a_double_submit_files_one_ticket(client, django_capture_on_commit_callbacks):
    submit(client, django_capture_on_commit_callbacks)
    again = submit(client, django_capture_on_commit_callbacks)

    assert again.status_code == 302  # the customer sees the same confirmation
    assert InboundEvent.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("subject", "", "This field is required."),
        ("subject", "   ", "This field is required."),
        ("message", "", "This field is required."),
        ("email", "not-an-address", "Enter a valid email address."),
        ("subject", "x" * 301, "Ensure this value has at most 300 characters"),
        ("message", "x" * 20_001, "Ensure this value has at most 20000 characters"),
        ("name", "", "This field is required."),
    ],
)
def test_bad_fields_are_explained_and_nothing_is_stored(client, field, value, error):
    response = client.post(URL, form(**{field: value}))

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


def test_a_30_mb_attachment_is_refused_with_the_limit(client):
    big = SimpleUploadedFile("video.mp4", b"\0" * (30 * 1024 * 1024), content_type="video/mp4")

    response = client.post(URL, form(attachments=big))

    assert response.status_code == 400
    page = response.content.decode()
    assert "video.mp4" in page
    assert "files may be at most 20.0\xa0MB" in page
    assert not InboundEvent.objects.exists()


def test_a_script_in_the_message_is_kept_as_text_and_never_executed(
    client, agent, django_capture_on_commit_callbacks
):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    submit(client, django_capture_on_commit_callbacks, message=hostile, subject=hostile)
    ticket = Ticket.objects.get()
    assert ticket.messages.get().body_text == hostile  # what the customer typed, as text

    agent_client = Client()
    agent_client.force_login(agent)
    page = agent_client.get(f"/agent/tickets/{ticket.pk}/").content.decode()

    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_a_post_without_csrf_token_is_refused_clearly():
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(URL, form())

    assert response.status_code == 403
    assert not InboundEvent.objects.exists()
