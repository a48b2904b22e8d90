"""Amazon SES inbound mail: SNS notifications (the mail inline, or an S3 object) posted to
/webhooks/email/amazon_ses/, their SNS signatures verified against a signing certificate
fetched over HTTP, subscriptions confirmed, the raw mail stored first and filed like IMAP mail.

A local HTTP server plays Amazon: it serves the signing certificate, answers the
SubscribeURL, and serves S3 GetObject for the bucket of the S3 action. The notifications are
built field by field from the documented SES and SNS formats and signed with our own key.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from channels_in.models import InboundEvent
from tests.channels_in.ses_amazon import (
    TOPIC,
    amazon_server,
    notification,
    post,
    raw_mail,
    ses_received,
    sign,
)
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def amazon(settings):
    yield from amazon_server(settings)


def test_base64_sns_action_is_stored_byte_exact_and_filed(
    client, amazon, django_capture_on_commit_callbacks
):
    raw = raw_mail()
    ses = ses_received(
        {"type": "SNS", "topicArn": TOPIC, "encoding": "BASE64"}, base64.b64encode(raw).decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sign(notification(amazon, ses)))

    assert response.status_code == 200, response.content
    event = InboundEvent.objects.get()
    assert bytes(event.payload) == raw
    assert event.headers["source"] == "webhook:amazon_ses"
    ticket = Ticket.objects.get()
    assert ticket.subject == "注文"
    assert ticket.messages.get().body_text == "商品が届きません。"
    assert [f.identity.handle for f in ticket.followers.all()] == ["sato@example.jp"]
    assert any(path.endswith(".pem") for path in amazon.requests)


def test_utf8_sns_action_with_signature_version_1(
    client, amazon, django_capture_on_commit_callbacks
):
    mail = (
        "From: Taro <taro@example.com>\r\nTo: support@madoguchi.localhost\r\n"
        f"Subject: Refund please\r\nMessage-ID: <{uuid.uuid4().hex}@example.com>\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n\r\n返金をお願いします。\r\n"
    )
    ses = ses_received({"type": "SNS", "topicArn": TOPIC, "encoding": "UTF8"}, mail)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sign(notification(amazon, ses), version="1"))

    assert response.status_code == 200, response.content
    assert bytes(InboundEvent.objects.get().payload) == mail.encode()
    assert Ticket.objects.get().messages.get().body_text == "返金をお願いします。"


def test_a_redelivered_notification_is_one_event_and_one_ticket(
    client, amazon, django_capture_on_commit_callbacks
):
    raw = raw_mail()
    ses = ses_received(
        {"type": "SNS", "topicArn": TOPIC, "encoding": "BASE64"}, base64.b64encode(raw).decode()
    )
    signed = sign(notification(amazon, ses))
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, signed)
        second = post(client, signed)

    assert first.status_code == second.status_code == 200
    assert first.json()["stored"] == second.json()["stored"]
    assert InboundEvent.objects.count() == 1
    assert Ticket.objects.count() == 1
    # The certificate was fetched once and then taken from the cache.
    assert sum(path.endswith(".pem") for path in amazon.requests) == 1


def test_s3_action_reads_the_mail_from_the_bucket(
    client, amazon, django_capture_on_commit_callbacks
):
    raw = raw_mail()
    amazon.objects["/madoguchi-mail/inbound/abc123"] = raw
    ses = ses_received(
        {
            "type": "S3",
            "topicArn": TOPIC,
            "bucketName": "madoguchi-mail",
            "objectKeyPrefix": "inbound",
            "objectKey": "inbound/abc123",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sign(notification(amazon, ses)))

    assert response.status_code == 200, response.content
    assert bytes(InboundEvent.objects.get().payload) == raw
    assert Ticket.objects.get().messages.get().body_text == "商品が届きません。"
    assert "/madoguchi-mail/inbound/abc123" in amazon.requests


def test_a_missing_s3_object_is_retried_later_not_lost(client, amazon):
    ses = ses_received(
        {"type": "S3", "topicArn": TOPIC, "bucketName": "madoguchi-mail", "objectKey": "gone"}
    )
    response = post(client, sign(notification(amazon, ses)))
    assert response.status_code == 503  # SNS delivers again; the mail stays in the bucket
    assert not InboundEvent.objects.exists()
