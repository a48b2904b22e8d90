"""Twilio: signed SMS webhooks with MMS media, the Messages API, status callbacks, and voice
status callbacks that open phone tickets."""

from __future__ import annotations

import base64

import pytest

from channels_in.models import DeliveryStatus, InboundEvent, OutboundDelivery
from tests.channels_in.social.conftest import TWILIO_SID, TWILIO_TOKEN
from tests.channels_in.social.provider import JPEG, Reply
from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
MESSAGES = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"


@pytest.fixture
def twilio_api(provider):
    basic = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()

    def send(req, match):
        if req.headers.get("Authorization") != basic:
            return Reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        form = req.form()
        if form["To"] == "+1555":
            return Reply(
                400,
                {
                    "code": 21211,
                    "message": "The 'To' number +1555 is not a valid phone number.",
                    "more_info": "https://www.twilio.com/docs/errors/21211",
                    "status": 400,
                },
            )
        return Reply(
            201,
            {
                "sid": "SM00000000000000000000000000000099",
                "status": "queued",
                "to": form["To"],
                "from": form["From"],
                "body": form["Body"],
            },
        )

    def media(req, match):
        if req.headers.get("Authorization") != basic:
            return Reply(401, b"")
        return Reply(200, JPEG, {"Content-Type": "image/jpeg"})

    provider.route("POST", MESSAGES, send)
    provider.route("GET", f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/MM1/Media/ME1", media)
    provider.route(
        "GET",
        f"/2010-04-01/Accounts/{TWILIO_SID}.json",
        Reply(200, {"sid": TWILIO_SID, "friendly_name": "Madoguchi", "status": "active"}),
    )
    return provider


def inbound_sms(provider, **extra):
    return {
        "MessageSid": "MM1",
        "SmsSid": "MM1",
        "AccountSid": TWILIO_SID,
        "From": "+819012345678",
        "To": "+15005550006",
        "Body": "配送はいつですか？",
        "NumMedia": "1",
        "MediaUrl0": f"{provider.url}/2010-04-01/Accounts/{TWILIO_SID}/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
        "SmsStatus": "received",
        **extra,
    }


def test_signed_sms_with_media_becomes_a_ticket(make_account, post_webhook, twilio_api):
    account = make_account("sms")
    response = post_webhook(account, inbound_sms(twilio_api), form=True)
    assert response.status_code == 200
    assert (
        response["Content-Type"].startswith("text/xml")
        and b"<Response></Response>" in response.content
    )
    ticket = Ticket.objects.get()
    assert ticket.channel == "sms" and ticket.identity.handle == "+819012345678"
    message = ticket.messages.get()
    assert message.body_text == "配送はいつですか？"
    assert message.attachments.get().content_type == "image/jpeg"
    assert InboundEvent.objects.get().headers["X-Twilio-Signature"]


def test_signature_over_another_url_or_params_is_refused(make_account, client, twilio_api):
    from urllib.parse import urlencode

    from tests.channels_in.social.conftest import signed_headers

    account = make_account("sms")
    body = urlencode(inbound_sms(twilio_api)).encode()
    headers = signed_headers("sms", body, "http://testserver/webhooks/sms/999/")
    response = client.post(
        f"/webhooks/sms/{account.pk}/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    assert response.status_code == 401
    tampered = body.replace(b"Body=", b"Body=X")
    headers = signed_headers("sms", body, f"http://testserver/webhooks/sms/{account.pk}/")
    response = client.post(
        f"/webhooks/sms/{account.pk}/",
        data=tampered,
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_reply_goes_through_the_messages_api_and_status_callback_updates_it(
    make_account, post_webhook, twilio_api, agent, django_capture_on_commit_callbacks
):
    account = make_account("sms")
    post_webhook(account, inbound_sms(twilio_api, NumMedia="0"), form=True)
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.reply(
            ticket=Ticket.objects.get(), author=agent, body_text="明日届きます"
        )
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_id == "SM00000000000000000000000000000099"
    (call,) = twilio_api.sent("POST", MESSAGES)
    form = call.form()
    assert form["To"] == "+819012345678" and form["From"] == "+15005550006"
    assert form["Body"] == "明日届きます"
    assert form["StatusCallback"] == f"http://testserver/webhooks/sms/{account.pk}/"

    callback = {
        "MessageSid": delivery.provider_id,
        "MessageStatus": "delivered",
        "AccountSid": TWILIO_SID,
        "To": "+819012345678",
        "From": "+15005550006",
    }
    assert post_webhook(account, callback, form=True).status_code == 200
    delivery.refresh_from_db()
    assert delivery.receipt == "delivered"
    assert Ticket.objects.get().messages.count() == 2  # a status callback is not a message


def test_undelivered_callback_and_invalid_number(
    make_account, post_webhook, twilio_api, agent, django_capture_on_commit_callbacks
):
    account = make_account("sms")
    post_webhook(account, inbound_sms(twilio_api, NumMedia="0", From="+1555"), form=True)
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.reply(ticket=Ticket.objects.get(), author=agent, body_text="hi")
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.FAILED and "21211" in delivery.last_error

    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT, provider_id="SM2", last_error=""
    )
    callback = {"MessageSid": "SM2", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    post_webhook(account, callback, form=True)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and "30003" in delivery.last_error


def test_voice_status_callback_opens_a_phone_ticket_once(make_account, post_webhook, twilio_api):
    account = make_account("phone")
    ringing = {
        "CallSid": "CA1",
        "CallStatus": "ringing",
        "From": "+81 3-1234-5678",
        "To": "+15005550006",
        "Direction": "inbound",
    }
    post_webhook(account, ringing, form=True)
    assert Ticket.objects.count() == 0
    done = {**ringing, "CallStatus": "completed", "CallDuration": "125"}
    post_webhook(account, done, form=True)
    post_webhook(account, done, form=True)  # Twilio retried
    ticket = Ticket.objects.get()
    assert ticket.channel == "phone" and ticket.identity.handle == "+81312345678"
    assert ticket.subject == "Call from +81 3-1234-5678"
    text = ticket.messages.get().body_text
    assert "Inbound call from +81 3-1234-5678" in text
    assert "Duration: 2 min 05 s" in text and "Outcome: Answered" in text


def test_test_connection(make_account, twilio_api):
    from channels_in.social_accounts import check_connection

    assert check_connection(make_account("sms")).ok
    bad = make_account("sms", api_user="ACwrong")
    check = check_connection(bad)
    assert not check.ok
