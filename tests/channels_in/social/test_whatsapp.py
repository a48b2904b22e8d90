"""WhatsApp Cloud API: corpus webhooks, media download, text vs template, statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from channels_in.models import DeliveryStatus, OutboundDelivery
from tests.channels_in.social.provider import JPEG, Reply
from tests.channels_in.social.test_line import corpus_headers
from tickets import services as ticket_services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

WAMID = "wamid.TEST0000000000000000000000000002"  # the id the corpus status refers to


@pytest.fixture
def cloud_api(provider):
    def send(req, match):
        if req.headers.get("Authorization") != "Bearer EAAG-wa-system-user-token":
            return Reply(401, {"error": {"message": "Invalid OAuth access token.", "code": 190}})
        body = req.json()
        if body["to"] == "10000000000":
            return Reply(
                400,
                {
                    "error": {
                        "message": "(#131026) Message Undeliverable.",
                        "type": "OAuthException",
                        "code": 131026,
                        "error_data": {
                            "messaging_product": "whatsapp",
                            "details": "Message Undeliverable.",
                        },
                        "fbtrace_id": "A",
                    }
                },
            )
        return Reply(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": WAMID}],
            },
        )

    def media(req, match):
        return Reply(
            200,
            {
                "url": f"{provider.url}/whatsapp_business/attachments/?mid={match[1]}",
                "mime_type": "image/jpeg",
                "sha256": "x",
                "file_size": len(JPEG),
                "id": match[1],
                "messaging_product": "whatsapp",
            },
        )

    def download(req, match):
        if req.headers.get("Authorization") != "Bearer EAAG-wa-system-user-token":
            return Reply(401, b"")
        return Reply(200, JPEG, {"Content-Type": "image/jpeg"})

    provider.route("POST", r"/100000000000002/messages", send)
    provider.route("GET", r"/(\d{6,})", media)
    provider.route("GET", "/whatsapp_business/attachments/", download)
    return provider


def _post_corpus(corpus, client, account, name, capture):
    folder = corpus / "webhooks" / "meta"
    with capture(execute=True):
        return client.post(
            f"/webhooks/whatsapp/{account.pk}/",
            data=(folder / f"{name}.body.json").read_bytes(),
            content_type="application/json",
            **corpus_headers(folder / f"{name}.headers.txt"),
        )


def test_corpus_text_becomes_a_ticket_with_the_contact_name(
    corpus, make_account, client, django_capture_on_commit_callbacks, cloud_api
):
    account = make_account("whatsapp")
    response = _post_corpus(
        corpus, client, account, "whatsapp-text", django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == "whatsapp"
    assert ticket.identity.handle == "+4915200000000"
    assert ticket.customer.name == "Jürgen Ä. Tanaka 田中"
    assert ticket.messages.get().body_text == "Grüße – Rechnung fehlt / 請求書が届きません"


def _reply(ticket, agent, text, capture):
    with capture(execute=True):
        return ticket_services.reply(ticket=ticket, author=agent, body_text=text)


def test_reply_then_corpus_read_status_marks_it_read(
    corpus, make_account, client, agent, django_capture_on_commit_callbacks, cloud_api
):
    account = make_account("whatsapp")
    _post_corpus(corpus, client, account, "whatsapp-text", django_capture_on_commit_callbacks)
    message = _reply(
        Ticket.objects.get(), agent, "ご確認します", django_capture_on_commit_callbacks
    )
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.SENT and delivery.provider_id == WAMID
    (call,) = cloud_api.sent("POST", "/100000000000002/messages")
    assert call.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "4915200000000",
        "type": "text",
        "text": {"body": "ご確認します", "preview_url": False},
    }
    response = _post_corpus(
        corpus, client, account, "whatsapp-status", django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.receipt == "read" and delivery.receipt_at is not None


def test_failed_status_marks_the_delivery_failed(make_account, post_webhook, cloud_api):
    from tests.factories import MessageFactory, TicketFactory

    account = make_account("whatsapp")
    ticket = TicketFactory(channel="whatsapp")
    delivery = OutboundDelivery.objects.create(
        message=MessageFactory(ticket=ticket, author_kind="agent", channel="whatsapp"),
        kind="whatsapp",
        recipient="+4915200000000",
        status=DeliveryStatus.SENT,
        provider_id="wamid.F1",
    )
    status = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550000000",
                                "phone_number_id": "100000000000002",
                            },
                            "statuses": [
                                {
                                    "id": "wamid.F1",
                                    "status": "failed",
                                    "timestamp": "1767225660",
                                    "recipient_id": "4915200000000",
                                    "errors": [{"code": 131047, "title": "Re-engagement message"}],
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    assert post_webhook(account, status).status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.receipt == "undelivered"
    assert "Re-engagement message" in delivery.last_error


def test_image_is_downloaded_through_the_media_endpoint(make_account, post_webhook, cloud_api):
    account = make_account("whatsapp")
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550000000",
                                "phone_number_id": "100000000000002",
                            },
                            "contacts": [{"profile": {"name": "Ken"}, "wa_id": "819012345678"}],
                            "messages": [
                                {
                                    "from": "819012345678",
                                    "id": "wamid.IMG1",
                                    "timestamp": "1767225600",
                                    "type": "image",
                                    "image": {
                                        "caption": "壊れていました",
                                        "mime_type": "image/jpeg",
                                        "sha256": "x",
                                        "id": "1234567890",
                                    },
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    assert post_webhook(account, body).status_code == 200
    message = Message.objects.get()
    assert message.body_text == "壊れていました"
    assert message.attachments.get().content_type == "image/jpeg"
    (download,) = cloud_api.sent("GET", "/whatsapp_business/attachments/")
    assert download.headers["Authorization"] == "Bearer EAAG-wa-system-user-token"


def test_outside_the_window_needs_a_template(
    corpus, make_account, client, agent, django_capture_on_commit_callbacks, cloud_api
):
    account = make_account("whatsapp")
    _post_corpus(corpus, client, account, "whatsapp-text", django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    Message.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(hours=25))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _reply(ticket, agent, "まだ有効ですか", django_capture_on_commit_callbacks)
    assert "24-hour window closed" in refused.value.messages[0]
    assert not cloud_api.sent("POST", "/100000000000002/messages")

    account.template_name = "support_followup"
    account.template_language = "ja"
    account.save()
    _reply(ticket, agent, "まだ有効ですか", django_capture_on_commit_callbacks)
    (call,) = cloud_api.sent("POST", "/100000000000002/messages")
    assert call.json()["type"] == "template"
    assert call.json()["template"] == {
        "name": "support_followup",
        "language": {"code": "ja"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "まだ有効ですか"}]}
        ],
    }


def test_undeliverable_is_permanent(
    make_account, post_webhook, agent, django_capture_on_commit_callbacks, cloud_api
):
    account = make_account("whatsapp")
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": "100000000000002"},
                            "messages": [
                                {
                                    "from": "10000000000",
                                    "id": "wamid.X1",
                                    "timestamp": "1767225600",
                                    "type": "text",
                                    "text": {"body": "hi"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    post_webhook(account, body)
    message = _reply(Ticket.objects.get(), agent, "hello", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.FAILED and "131026" in delivery.last_error
