"""Inbound mail pushed by Mailgun, SendGrid and Postmark (django-anymail's inbound views):
signature or basic auth checked, raw MIME stored first, then the same path as IMAP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest

from channels_in.models import InboundEvent, InboundStatus
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-mailgun-test-signing"
SECRET = "esp:s3cret-passw0rd"


@pytest.fixture(autouse=True)
def anymail_settings(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": SECRET}


def raw_mail(message_id: str | None = None, *, body: bytes | None = None) -> bytes:
    """Shift_JIS 8-bit text: only a byte-exact path keeps it readable."""
    message_id = message_id or f"<{uuid.uuid4().hex}@example.jp>"
    body = body if body is not None else "商品が届きません。".encode("cp932")
    return (
        b"From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\r\n"
        b"To: support@madoguchi.localhost\r\n"
        b"Subject: =?ISO-2022-JP?B?GyRCQ21KOBsoQg==?=\r\n"
        b"Message-ID: " + message_id.encode() + b"\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=Shift_JIS\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )


def multipart(fields: dict[str, bytes | str]) -> tuple[bytes, str]:
    boundary = "----madoguchi-test-" + uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        data = value.encode() if isinstance(value, str) else value
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def mailgun_signature(timestamp: str, token: str, key: str = SIGNING_KEY) -> str:
    return hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def mailgun_post(client, raw: bytes, *, key: str = SIGNING_KEY, **overrides):
    timestamp, token = str(int(time.time())), uuid.uuid4().hex * 2
    fields = {
        "recipient": "support@madoguchi.localhost",
        "sender": "yamada@example.jp",
        "timestamp": timestamp,
        "token": token,
        "signature": mailgun_signature(timestamp, token, key),
        "body-mime": raw,
        **overrides,
    }
    body, content_type = multipart(fields)
    # Anymail's shared WEBHOOK_SECRET applies to every provider, Mailgun included.
    return client.post("/webhooks/email/mailgun/", body, content_type=content_type, **basic_auth())


def basic_auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def test_mailgun_raw_mime_is_stored_byte_exact_and_filed(
    client, django_capture_on_commit_callbacks
):
    raw = raw_mail("<mg-1@example.jp>")
    with django_capture_on_commit_callbacks(execute=True):
        response = mailgun_post(client, raw)

    assert response.status_code == 200, response.content
    event = InboundEvent.objects.get()
    assert response.json() == {"stored": [event.pk]}
    assert bytes(event.payload) == raw
    assert event.headers["source"] == "webhook:mailgun"
    assert event.idempotency_key == "<mg-1@example.jp>"
    event.refresh_from_db()
    assert event.status == InboundStatus.PROCESSED, event.error
    ticket = Ticket.objects.get()
    assert ticket.subject == "注文"
    assert ticket.messages.get().body_text == "商品が届きません。"


def test_mailgun_bad_signature_is_refused_and_stores_nothing(client):
    response = mailgun_post(client, raw_mail(), key="key-someone-else")
    assert response.status_code == 403
    assert "signature" in response.json()["error"]
    assert InboundEvent.objects.count() == 0


def test_mailgun_parsed_fields_without_raw_mime_are_rebuilt_into_a_mail(
    client, django_capture_on_commit_callbacks
):
    timestamp, token = str(int(time.time())), uuid.uuid4().hex
    fields = {
        "recipient": "support@madoguchi.localhost",
        "sender": "bob@example.com",
        "from": "Bob <bob@example.com>",
        "subject": "Where is my order?",
        "body-plain": "Order 1001 has not arrived.",
        "message-headers": json.dumps(
            [
                ["From", "Bob <bob@example.com>"],
                ["Subject", "Where is my order?"],
                ["Message-Id", "<parsed-1@example.com>"],
            ]
        ),
        "timestamp": timestamp,
        "token": token,
        "signature": mailgun_signature(timestamp, token),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/webhooks/email/mailgun/", fields, **basic_auth())

    assert response.status_code == 200, response.content
    event = InboundEvent.objects.get()
    assert event.idempotency_key == "<parsed-1@example.com>"
    message = Ticket.objects.get().messages.get()
    assert message.body_text == "Order 1001 has not arrived."
    assert message.identity.handle == "bob@example.com"


def test_the_same_mail_pushed_twice_is_one_event(client, django_capture_on_commit_callbacks):
    raw = raw_mail("<twice@example.jp>")
    with django_capture_on_commit_callbacks(execute=True):
        first = mailgun_post(client, raw)
        again = mailgun_post(client, raw)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert InboundEvent.objects.count() == 1 and Ticket.objects.count() == 1


def test_postmark_raw_email_with_basic_auth(client, django_capture_on_commit_callbacks):
    # Postmark's documented inbound JSON, with "Include raw email content" switched on.
    raw = raw_mail("<pm-1@example.jp>", body="至急お願いします".encode("cp932")).decode(
        "utf-8", "surrogateescape"
    )
    payload = {
        "FromName": "山田",
        "MessageStream": "inbound",
        "From": "yamada@example.jp",
        "FromFull": {"Email": "yamada@example.jp", "Name": "山田", "MailboxHash": ""},
        "To": "support@madoguchi.localhost",
        "ToFull": [{"Email": "support@madoguchi.localhost", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "support@madoguchi.localhost",
        "Subject": "注文",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Fri, 1 Aug 2014 16:45:32 -04:00",
        "TextBody": "至急お願いします",
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [{"Name": "Message-ID", "Value": "<pm-1@example.jp>"}],
        "Attachments": [],
        "RawEmail": raw.encode("utf-8", "surrogateescape").decode("latin-1"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/email/postmark/",
            json.dumps(payload),
            content_type="application/json",
            **basic_auth(),
        )
    assert response.status_code == 200, response.content
    event = InboundEvent.objects.get()
    assert event.idempotency_key == "<pm-1@example.jp>"
    assert event.headers["source"] == "webhook:postmark"
    event.refresh_from_db()
    assert event.status == InboundStatus.PROCESSED, event.error


def test_postmark_without_raw_email_is_rebuilt_with_attachments(
    client, django_capture_on_commit_callbacks
):
    payload = {
        "From": "alice@example.com",
        "FromFull": {"Email": "alice@example.com", "Name": "Alice", "MailboxHash": ""},
        "To": "support@madoguchi.localhost",
        "ToFull": [{"Email": "support@madoguchi.localhost", "Name": "", "MailboxHash": ""}],
        "CcFull": [],
        "BccFull": [],
        "Subject": "Broken item",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "Date": "Thu, 5 Apr 2012 16:59:01 +0200",
        "TextBody": "The mug arrived broken, photo attached.",
        "HtmlBody": "<p>The mug arrived broken, photo attached.</p>",
        "Headers": [{"Name": "Message-ID", "Value": "<pm-2@example.com>"}],
        "Attachments": [
            {
                "Name": "mug.png",
                "Content": base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode(),
                "ContentType": "image/png",
                "ContentLength": 12,
            }
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/email/postmark/",
            json.dumps(payload),
            content_type="application/json",
            **basic_auth(),
        )
    assert response.status_code == 200, response.content
    message = Ticket.objects.get().messages.get()
    assert message.body_text == "The mug arrived broken, photo attached."
    assert [a.filename for a in message.attachments.all()] == ["mug.png"]


@pytest.mark.parametrize("auth", [{}, basic_auth("esp:wrong")])
def test_postmark_without_the_secret_is_refused(client, auth):
    response = client.post(
        "/webhooks/email/postmark/",
        json.dumps({"From": "x@example.com"}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0


def test_sendgrid_raw_parse_is_stored_byte_exact(client, django_capture_on_commit_callbacks):
    raw = raw_mail("<sg-1@example.jp>")
    body, content_type = multipart(
        {
            "email": raw,
            "to": "support@madoguchi.localhost",
            "from": "yamada@example.jp",
            "subject": "注文",
            "envelope": json.dumps(
                {"to": ["support@madoguchi.localhost"], "from": "yamada@example.jp"}
            ),
            "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
            "SPF": "pass",
            "sender_ip": "192.0.2.10",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/email/sendgrid/", body, content_type=content_type, **basic_auth()
        )
    assert response.status_code == 200, response.content
    event = InboundEvent.objects.get()
    assert bytes(event.payload) == raw
    assert Ticket.objects.get().messages.get().body_text == "商品が届きません。"


def test_malformed_payloads_get_a_clear_400(client):
    bad_json = client.post(
        "/webhooks/email/postmark/", "{not json", content_type="application/json", **basic_auth()
    )
    body, content_type = multipart({"nothing": "here"})
    no_mail = client.post(
        "/webhooks/email/sendgrid/", body, content_type=content_type, **basic_auth()
    )
    empty = mailgun_post(client, b"   ")
    broken_form = client.post(
        "/webhooks/email/sendgrid/",
        b'--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\nmail\r\n--xyz--',
        content_type="multipart/form-data; boundary=",  # no boundary to split on
        **basic_auth(),
    )
    responses = (bad_json, no_mail, empty, broken_form)
    assert [r.status_code for r in responses] == [400, 400, 400, 400]
    assert all("error" in r.json() for r in responses)
    assert InboundEvent.objects.count() == 0


def test_hostile_mail_through_a_webhook_is_kept_raw_and_failed(
    client, django_capture_on_commit_callbacks
):
    hostile = b"this is not a mail at all\x00\xff\xfe" * 10
    with django_capture_on_commit_callbacks(execute=True):
        response = mailgun_post(client, hostile)
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    event.refresh_from_db()
    assert bytes(event.payload) == hostile
    assert event.status == InboundStatus.FAILED and event.error
    assert Ticket.objects.count() == 0


def test_oversized_posts_are_refused_with_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = mailgun_post(client, raw_mail(body=b"x" * 5000))
    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0


def test_unknown_or_unconfigured_providers_are_404(client, settings):
    assert client.post("/webhooks/email/nosuchesp/", {}).status_code == 404
    settings.ANYMAIL = {}
    # Without a secret the endpoints are closed, not open to anyone.
    assert (
        client.post("/webhooks/email/postmark/", "{}", content_type="application/json").status_code
        == 404
    )
    assert mailgun_post(client, raw_mail()).status_code == 404
    assert client.get("/webhooks/email/mailgun/").status_code == 404


def test_get_is_not_allowed(client):
    response = client.get("/webhooks/email/postmark/")
    assert response.status_code == 405
