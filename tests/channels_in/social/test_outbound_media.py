# ruff: noqa: F811 (fixtures imported from the per-platform test modules)
"""Files on an agent's reply reach the customer on every platform that can carry them.

The platforms fetch media from a signed, expiring link we serve (LINE, Meta, WhatsApp,
Twilio) or take an upload (Telegram); each fake platform below checks the documented call.
"""

from __future__ import annotations

from datetime import timedelta
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from channels_in import social_media
from channels_in.models import DeliveryStatus, OutboundDelivery
from tests.channels_in.social.conftest import TOKENS, TWILIO_SID
from tests.channels_in.social.provider import JPEG, Reply
from tests.channels_in.social.test_line import _incoming as line_incoming
from tests.channels_in.social.test_line import line_api  # noqa: F401 (fixture)
from tests.channels_in.social.test_meta import _image_message, graph  # noqa: F401 (fixture)
from tests.channels_in.social.test_telegram import BOT, bot_api, update  # noqa: F401 (fixture)
from tests.channels_in.social.test_twilio import inbound_sms, twilio_api  # noqa: F401 (fixture)
from tests.channels_in.social.test_whatsapp import _post_corpus, cloud_api  # noqa: F401 (fixture)
from tests.channels_in.social.test_x import dm, x_api  # noqa: F401 (fixture)
from tickets import services as ticket_services
from tickets.inbound import IncomingAttachment
from tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def photo(name="写真.jpg", content=JPEG, kind="image/jpeg"):
    return IncomingAttachment(filename=name, content_type=kind, content=content)


def pdf(name="請求書.pdf", content=PDF):
    return IncomingAttachment(filename=name, content_type="application/pdf", content=content)


def send(ticket, agent, capture, text="", files=(), internal=False):
    # Refusals are read as English text (a request before may have left Japanese active).
    with translation.override("en"), capture(execute=True):
        return ticket_services.reply(
            ticket=ticket, author=agent, body_text=text, attachments=files, internal=internal
        )


def fetch(client, url):
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver"  # SITE_URL in tests
    return client.get(parts.path)


# --- the signed link --------------------------------------------------------------------------


def test_link_serves_the_reply_file_and_refuses_edits_notes_and_old_links(
    make_account,
    post_webhook,
    bot_api,
    agent,
    client,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    account = make_account("telegram")
    post_webhook(account, update(text="写真を送ってください"))
    ticket = Ticket.objects.get()
    message = send(ticket, agent, django_capture_on_commit_callbacks, "どうぞ", [photo()])
    attachment = message.attachments.get()
    url = social_media.public_media_url(attachment)
    assert url.startswith("http://testserver/webhooks/media/") and url.endswith("/file.jpg")

    response = fetch(client, url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]

    token = social_media.media_token(attachment)
    edited = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/webhooks/media/{edited}/x.jpg").status_code == 404
    assert client.get("/webhooks/media/garbage/x.jpg").status_code == 404
    assert client.get("/webhooks/media/" + "a" * 500 + "/x.jpg").status_code == 404
    assert client.post(urlsplit(url).path).status_code == 405

    # The customer's own upload and an internal note's file never leave by link.
    note = send(ticket, agent, django_capture_on_commit_callbacks, "内部", [pdf()], internal=True)
    assert fetch(client, social_media.public_media_url(note.attachments.get())).status_code == 404

    # A revoked (re-tokened) file and an expired link stop working.
    Attachment.objects.filter(pk=attachment.pk).update(token="revoked")
    assert fetch(client, url).status_code == 404
    attachment.refresh_from_db()
    url = social_media.public_media_url(attachment)
    assert fetch(client, url).status_code == 200
    monkeypatch.setattr(social_media, "MEDIA_LINK_TTL", timedelta(seconds=-1))  # a week later
    assert fetch(client, url).status_code == 404


# --- LINE -----------------------------------------------------------------------------------


def test_line_sends_pictures_as_image_messages_and_other_files_as_links(
    corpus, make_account, post_webhook, line_api, agent, client, django_capture_on_commit_callbacks
):
    _account, ticket = line_incoming(make_account, post_webhook, corpus)
    message = send(
        ticket,
        agent,
        django_capture_on_commit_callbacks,
        "資料をお送りします。",
        [photo(), pdf(), photo("scan.png", PNG, "image/png")],
    )
    assert OutboundDelivery.objects.get(message=message).status == DeliveryStatus.SENT
    (call,) = line_api.sent("POST", "/v2/bot/message/reply")
    text, first, second = call.json()["messages"]
    assert text["type"] == "text"
    assert text["text"].startswith("資料をお送りします。\n\n請求書.pdf: http://testserver/")
    assert first["type"] == "image" and first["originalContentUrl"] == first["previewImageUrl"]
    assert second["type"] == "image" and second["originalContentUrl"].endswith("/scan.png")
    assert b"".join(fetch(client, first["originalContentUrl"]).streaming_content) == JPEG
    pdf_url = text["text"].rsplit(" ", 1)[1]
    assert b"".join(fetch(client, pdf_url).streaming_content) == PDF


def test_line_more_than_five_messages_go_in_batches_with_their_own_retry_keys(
    corpus, make_account, post_webhook, line_api, agent, django_capture_on_commit_callbacks
):
    _account, ticket = line_incoming(make_account, post_webhook, corpus, token="expired")
    files = [photo(f"p{n}.jpg") for n in range(7)]
    message = send(ticket, agent, django_capture_on_commit_callbacks, "7枚です", files)
    assert OutboundDelivery.objects.get(message=message).status == DeliveryStatus.SENT
    first, second = line_api.sent("POST", "/v2/bot/message/push")
    assert len(first.json()["messages"]) == 5 and len(second.json()["messages"]) == 3
    assert first.headers["X-Line-Retry-Key"] != second.headers["X-Line-Retry-Key"]


# --- Messenger / Instagram -----------------------------------------------------------------------


def test_messenger_sends_each_file_as_an_attachment_by_url(
    make_account, post_webhook, graph, agent, client, django_capture_on_commit_callbacks
):
    account = make_account("messenger")
    post_webhook(account, _image_message(graph))
    message = send(
        Ticket.objects.get(), agent, django_capture_on_commit_callbacks, "", [photo(), pdf()]
    )
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_id == "m_SENT0001 m_SENT0002"
    image_call, file_call = graph.sent("POST", r"/(\d+|me)/messages")
    attachment = image_call.json()["message"]["attachment"]
    assert attachment["type"] == "image" and attachment["payload"]["is_reusable"] is False
    assert image_call.json()["messaging_type"] == "RESPONSE"
    assert file_call.json()["message"]["attachment"]["type"] == "file"
    assert fetch(client, attachment["payload"]["url"]).status_code == 200


def test_instagram_refuses_a_document_before_anything_is_sent(
    make_account, post_webhook, graph, agent, django_capture_on_commit_callbacks
):
    account = make_account("instagram")
    body = _image_message(graph)
    body["object"] = "instagram"
    body["entry"][0]["id"] = "400000000000001"
    post_webhook(account, body)
    with pytest.raises(ValidationError) as refused:
        send(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, "x", [pdf()])
    assert "Instagram cannot receive the file “請求書.pdf”" in refused.value.messages[0]
    assert Message.objects.count() == 1
    assert not graph.sent("POST", r"/(\d+|me)/messages")


# --- WhatsApp ---------------------------------------------------------------------------------


def test_whatsapp_sends_image_and_document_links_inside_the_window(
    corpus, make_account, client, agent, django_capture_on_commit_callbacks, cloud_api
):
    account = make_account("whatsapp")
    _post_corpus(corpus, client, account, "whatsapp-text", django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    send(ticket, agent, django_capture_on_commit_callbacks, "どうぞ", [photo(), pdf()])
    text, image, document = cloud_api.sent("POST", "/100000000000002/messages")
    assert text.json()["type"] == "text"
    assert image.json()["type"] == "image" and set(image.json()["image"]) == {"link"}
    assert document.json()["type"] == "document"
    assert document.json()["document"]["filename"] == "請求書.pdf"
    assert fetch(client, document.json()["document"]["link"]).status_code == 200

    with pytest.raises(ValidationError) as refused:
        send(
            ticket,
            agent,
            django_capture_on_commit_callbacks,
            "x",
            [photo("a.gif", kind="image/gif")],
        )
    assert "WhatsApp cannot receive the file “a.gif” (image/gif)" in refused.value.messages[0]
    big = photo("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        send(ticket, agent, django_capture_on_commit_callbacks, "x", [big])
    assert "too large for WhatsApp" in refused.value.messages[0]


def test_whatsapp_template_outside_the_window_cannot_carry_files(
    corpus, make_account, client, agent, django_capture_on_commit_callbacks, cloud_api
):
    account = make_account("whatsapp", template_name="support_followup", template_language="ja")
    _post_corpus(corpus, client, account, "whatsapp-text", django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    Message.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(hours=25))
    with pytest.raises(ValidationError) as refused:
        send(ticket, agent, django_capture_on_commit_callbacks, "再送", [photo()])
    assert "cannot carry files" in refused.value.messages[0]
    assert not cloud_api.sent("POST", "/100000000000002/messages")


# --- Telegram ---------------------------------------------------------------------------------


def _multipart(recorded) -> dict[str, tuple[str | None, bytes]]:
    head = f"Content-Type: {recorded.headers['Content-Type']}\r\n\r\n".encode()
    parsed = BytesParser(policy=HTTP).parsebytes(head + recorded.body)
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in parsed.iter_parts()
    }


def test_telegram_uploads_photos_with_send_photo_and_files_with_send_document(
    make_account, post_webhook, bot_api, agent, django_capture_on_commit_callbacks
):
    def uploaded(req, match):
        return Reply(200, {"ok": True, "result": {"message_id": 90 + len(bot_api.requests)}})

    bot_api.route("POST", f"{BOT}/sendPhoto", uploaded)
    bot_api.route("POST", f"{BOT}/sendDocument", uploaded)
    account = make_account("telegram")
    post_webhook(account, update(text="hi"))
    message = send(
        Ticket.objects.get(), agent, django_capture_on_commit_callbacks, "", [photo(), pdf()]
    )
    assert OutboundDelivery.objects.get(message=message).status == DeliveryStatus.SENT
    (photo_call,) = bot_api.sent("POST", f"{BOT}/sendPhoto")
    (doc_call,) = bot_api.sent("POST", f"{BOT}/sendDocument")
    assert not bot_api.sent("POST", f"{BOT}/sendMessage")  # no empty text message
    parts = _multipart(photo_call)
    assert parts["chat_id"][1] == b"4242"
    assert parts["photo"] == ("写真.jpg", JPEG)
    assert _multipart(doc_call)["document"] == ("請求書.pdf", PDF)


def test_telegram_refused_upload_fails_the_delivery_with_the_reason(
    make_account, post_webhook, bot_api, agent, django_capture_on_commit_callbacks
):
    bot_api.route(
        "POST",
        f"{BOT}/sendDocument",
        Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: file is empty"}),
    )
    account = make_account("telegram")
    post_webhook(account, update(text="hi"))
    message = send(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, "", [pdf()])
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.FAILED
    assert "file is empty" in delivery.last_error
    assert TOKENS["telegram"] not in delivery.last_error


# --- Twilio MMS --------------------------------------------------------------------------------


MESSAGES = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"


def test_twilio_mms_carries_media_urls_and_needs_no_body(
    make_account, post_webhook, twilio_api, agent, client, django_capture_on_commit_callbacks
):
    twilio_api.route(
        "POST",
        MESSAGES,
        Reply(201, {"sid": "MM00000000000000000000000000000077", "status": "queued"}),
    )
    account = make_account("sms")
    post_webhook(account, inbound_sms(twilio_api, NumMedia="0"), form=True)
    ticket = Ticket.objects.get()
    message = send(ticket, agent, django_capture_on_commit_callbacks, "", [photo(), pdf()])
    assert OutboundDelivery.objects.get(message=message).status == DeliveryStatus.SENT
    (call,) = twilio_api.sent("POST", MESSAGES)
    form = parse_qs(call.body.decode())
    assert "Body" not in form
    assert len(form["MediaUrl"]) == 2
    assert all(fetch(client, url).status_code == 200 for url in form["MediaUrl"])

    with pytest.raises(ValidationError) as refused:
        send(ticket, agent, django_capture_on_commit_callbacks, "x", [photo()] * 11)
    assert "at most 10 files" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        big = photo("big.jpg", b"\x00" * (3 * 1024 * 1024))
        send(ticket, agent, django_capture_on_commit_callbacks, "x", [big, big])
    assert "5 MB" in refused.value.messages[0]


# --- X ----------------------------------------------------------------------------------------


def test_x_refuses_files_instead_of_dropping_them(
    make_account, post_webhook, x_api, agent, django_capture_on_commit_callbacks
):
    account = make_account("x")
    post_webhook(account, dm())
    with pytest.raises(ValidationError) as refused:
        send(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, "x", [pdf()])
    # Pictures and videos go through X's chunked upload (test_x_media.py); a PDF cannot.
    assert "X cannot receive the file" in refused.value.messages[0]
