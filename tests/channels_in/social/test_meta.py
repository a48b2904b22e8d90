"""Messenger and Instagram: Meta's handshake, signed corpus webhooks, the Send API and its
24-hour / HUMAN_AGENT rules, read and delivery receipts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from channels_in.models import DeliveryStatus, InboundEvent, OutboundDelivery
from tests.channels_in.social.provider import JPEG, Reply
from tests.channels_in.social.test_line import corpus_headers
from tickets import services as ticket_services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph(provider):
    sent_ids = iter(f"m_SENT{n:04d}" for n in range(1, 100))

    def send(req, match):
        if (
            req.headers.get("Authorization") != "Bearer EAAG-page-token"
            and req.headers.get("Authorization") != "Bearer EAAG-ig-page-token"
        ):
            return Reply(
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token.",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
            )
        recipient = req.json()["recipient"]["id"]
        if recipient == "gone":
            return Reply(
                400,
                {
                    "error": {
                        "message": "This person isn't available right now.",
                        "type": "OAuthException",
                        "code": 551,
                        "error_subcode": 1545041,
                    }
                },
            )
        return Reply(200, {"recipient_id": recipient, "message_id": next(sent_ids)})

    provider.route("POST", r"/(\d+|me)/messages", send)
    provider.route(
        "GET",
        r"/(\d+)",
        lambda req, m: Reply(200, {"first_name": "Anna", "last_name": "Berg", "id": m[1]}),
    )
    provider.route("GET", "/me", Reply(200, {"id": "200000000000001", "name": "Madoguchi Shop"}))
    provider.route("GET", "/cdn/photo.jpg", Reply(200, JPEG, {"Content-Type": "image/jpeg"}))
    return provider


def test_handshake_answers_the_challenge_only_with_our_token(make_account, client):
    account = make_account("messenger")
    ok = client.get(
        f"/webhooks/messenger/{account.pk}/",
        {
            "hub.mode": "subscribe",
            "hub.challenge": "1158201444",
            "hub.verify_token": account.verify_token,
        },
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    assert ok["Content-Type"].startswith("text/plain")
    wrong = client.get(
        f"/webhooks/messenger/{account.pk}/",
        {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "guess"},
    )
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content


@pytest.mark.parametrize(
    ("kind", "name", "text"),
    [
        ("messenger", "messenger-text", "äöå – is my order shipped?"),
        ("instagram", "instagram-text", "こんにちは 👋"),
    ],
)
def test_corpus_message_with_corpus_signature_becomes_a_ticket(
    kind, name, text, corpus, make_account, client, django_capture_on_commit_callbacks, graph
):
    account = make_account(kind)
    folder = corpus / "webhooks" / "meta"
    body = (folder / f"{name}.body.json").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/webhooks/{kind}/{account.pk}/",
            data=body,
            content_type="application/json",
            **corpus_headers(folder / f"{name}.headers.txt"),
        )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == kind
    assert ticket.messages.get().body_text == text
    assert ticket.customer.name == "Anna Berg"  # from the profile API


def test_re_serialised_body_signature_is_refused(corpus, make_account, client):
    """The corpus notes the WRONG signature one gets by HMAC-ing a re-serialisation: we
    must check the raw bytes, so that signature does not pass."""
    account = make_account("messenger")
    body = (corpus / "webhooks/meta/messenger-text.body.json").read_bytes()
    wrong = "sha256=c20e62c317d08d6bcdedcc4fa1ef5196d933ae80d6ac964d0ec2e29c5c9f1091"
    response = client.post(
        f"/webhooks/messenger/{account.pk}/",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=wrong,
    )
    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def _image_message(provider, mid="m_IMG1", sender="300000000000001"):
    return {
        "object": "page",
        "entry": [
            {
                "id": "200000000000001",
                "time": 1767225600123,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": "200000000000001"},
                        "timestamp": 1767225600000,
                        "message": {
                            "mid": mid,
                            "attachments": [
                                {
                                    "type": "image",
                                    "payload": {"url": f"{provider.url}/cdn/photo.jpg"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def test_image_attachment_is_downloaded(make_account, post_webhook, graph):
    account = make_account("messenger")
    assert post_webhook(account, _image_message(graph)).status_code == 200
    message = Message.objects.get()
    attachment = message.attachments.get()
    assert attachment.content_type == "image/jpeg" and attachment.size == len(JPEG)
    assert attachment.filename.endswith(".jpg")


def _reply(ticket, agent, text, capture):
    with capture(execute=True):
        return ticket_services.reply(ticket=ticket, author=agent, body_text=text)


def test_reply_inside_24_hours_is_a_response(
    make_account, post_webhook, graph, agent, django_capture_on_commit_callbacks
):
    account = make_account("messenger")
    post_webhook(account, _image_message(graph))
    ticket = Ticket.objects.get()
    message = _reply(ticket, agent, "Thanks, we are on it.", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.SENT and delivery.provider_id == "m_SENT0001"
    (call,) = graph.sent("POST", "/200000000000001/messages")
    assert call.json() == {
        "recipient": {"id": "300000000000001"},
        "message": {"text": "Thanks, we are on it."},
        "messaging_type": "RESPONSE",
    }
    assert call.headers["Authorization"] == "Bearer EAAG-page-token"


def test_after_24_hours_the_human_agent_tag_and_after_7_days_a_clear_refusal(
    make_account, post_webhook, graph, agent, django_capture_on_commit_callbacks
):
    account = make_account("messenger")
    post_webhook(account, _image_message(graph))
    ticket = Ticket.objects.get()
    Message.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(hours=30))
    _reply(ticket, agent, "Sorry for the wait.", django_capture_on_commit_callbacks)
    call = graph.sent("POST", "/200000000000001/messages")[-1].json()
    assert call["messaging_type"] == "MESSAGE_TAG" and call["tag"] == "HUMAN_AGENT"

    Message.objects.filter(ticket=ticket, author_kind="customer").update(
        created_at=timezone.now() - timedelta(days=8)
    )
    with pytest.raises(ValidationError) as refused:
        _reply(ticket, agent, "Hello again", django_capture_on_commit_callbacks)
    assert "24 hours" in refused.value.messages[0]
    assert len(graph.sent("POST", "/200000000000001/messages")) == 1  # nothing more sent

    account.use_human_agent_tag = False
    account.save()
    Message.objects.filter(ticket=ticket, author_kind="customer").update(
        created_at=timezone.now() - timedelta(hours=30)
    )
    with pytest.raises(ValidationError):
        _reply(ticket, agent, "Without the tag", django_capture_on_commit_callbacks)


def test_unavailable_user_fails_for_good_with_metas_reason(
    make_account, post_webhook, graph, agent, django_capture_on_commit_callbacks
):
    account = make_account("messenger")
    post_webhook(account, _image_message(graph, sender="gone"))
    message = _reply(Ticket.objects.get(), agent, "Hi", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.FAILED
    assert "This person isn't available right now." in delivery.last_error
    assert "551" in delivery.last_error


def test_rate_limit_code_is_retried(
    make_account, post_webhook, graph, agent, django_capture_on_commit_callbacks
):
    account = make_account("instagram")
    data = _image_message(graph)
    data["object"] = "instagram"
    post_webhook(account, data)
    graph.route(
        "POST",
        r"/\d+/messages",
        Reply(
            400,
            {
                "error": {
                    "message": "Calls to this api have exceeded the rate limit.",
                    "type": "OAuthException",
                    "code": 613,
                }
            },
        ),
    )
    message = _reply(Ticket.objects.get(), agent, "Hi", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.QUEUED and delivery.next_attempt_at is not None
    assert "613" in delivery.last_error


def test_delivery_and_read_receipts_update_the_delivery(
    make_account, post_webhook, graph, agent, django_capture_on_commit_callbacks
):
    account = make_account("messenger")
    post_webhook(account, _image_message(graph))
    message = _reply(Ticket.objects.get(), agent, "Hi", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    receipt = {
        "object": "page",
        "entry": [
            {
                "id": "200000000000001",
                "time": 1,
                "messaging": [
                    {
                        "sender": {"id": "300000000000001"},
                        "recipient": {"id": "200000000000001"},
                        "delivery": {"mids": [delivery.provider_id], "watermark": 1},
                    }
                ],
            }
        ],
    }
    post_webhook(account, receipt)
    delivery.refresh_from_db()
    assert delivery.receipt == "delivered"
    watermark = int((timezone.now() + timedelta(seconds=5)).timestamp() * 1000)
    read = json.loads(json.dumps(receipt))
    read["entry"][0]["messaging"][0] = {
        "sender": {"id": "300000000000001"},
        "recipient": {"id": "200000000000001"},
        "timestamp": watermark,
        "read": {"watermark": watermark},
    }
    post_webhook(account, read)
    delivery.refresh_from_db()
    assert delivery.receipt == "read"
    receipt["entry"][0]["messaging"][0]["delivery"]["watermark"] = 2  # a new, late event
    assert post_webhook(account, receipt).json()["stored"] == 1
    delivery.refresh_from_db()
    assert delivery.receipt == "read"  # a late "delivered" never undoes "read"


def test_wrong_object_is_kept_as_a_failed_event(make_account, post_webhook, graph):
    account = make_account("messenger")
    data = _image_message(graph)
    data["object"] = "instagram"
    response = post_webhook(account, data)
    assert response.status_code == 400 and response.json()["error"] == "malformed payload"
    event = InboundEvent.objects.get()
    assert event.status == "failed" and "expected object" in event.error
    assert event.next_attempt_at is None  # retrying cannot help
