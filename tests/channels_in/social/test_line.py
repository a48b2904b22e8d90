"""LINE: corpus webhooks in, reply-token / push out, against a fake Messaging API."""

from __future__ import annotations

import json
import re

import pytest

from channels_in.models import DeliveryStatus, InboundEvent, InboundStatus, OutboundDelivery
from tests.channels_in.social.provider import JPEG, Reply
from tickets import services as ticket_services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

LINE_USER = "U0123456789abcdef0123456789abcdef"


def corpus_headers(path) -> dict:
    """`name: value` lines of a corpus *.headers.txt (comments skipped) as test-client META."""
    meta = {}
    for line in path.read_text().splitlines():
        if line.startswith("#") or ":" not in line:
            continue
        name, value = line.split(":", 1)
        meta["HTTP_" + name.strip().upper().replace("-", "_")] = value.strip()
    return meta


@pytest.fixture
def line_api(provider):
    """The documented Messaging API endpoints we use, with their documented answers."""
    valid_tokens = {"test-reply-token-0001"}
    accepted_retry_keys: dict[str, str] = {}

    def authorized(req):
        return req.headers.get("Authorization") == "Bearer line-channel-access-token"

    def profile(req, match):
        if not authorized(req):
            return Reply(401, {"message": "Authentication failed."})
        return Reply(200, {"displayName": "山田 花子", "userId": match[1], "language": "ja"})

    def content(req, match):
        return Reply(200, JPEG, {"Content-Type": "image/jpeg"})

    def reply(req, match):
        token = req.json()["replyToken"]
        if token not in valid_tokens:
            return Reply(400, {"message": "Invalid reply token"})
        valid_tokens.discard(token)  # single use
        return Reply(200, {"sentMessages": [{"id": "461230966842064897", "quoteToken": "q"}]})

    def push(req, match):
        key = req.headers.get("X-Line-Retry-Key", "")
        if key in accepted_retry_keys:
            return Reply(
                409,
                {"message": "The retry key is already accepted"},
                {"x-line-accepted-request-id": accepted_retry_keys[key]},
            )
        if req.json()["to"] == "Ublocked":
            return Reply(400, {"message": "Failed to send messages"})
        accepted_retry_keys[key] = f"req-{len(accepted_retry_keys) + 1}"
        return Reply(200, {"sentMessages": [{"id": "461230966842064999", "quoteToken": "q2"}]})

    def info(req, match):
        if not authorized(req):
            return Reply(
                401,
                {
                    "message": "Authentication failed. Confirm that the access token in the authorization header is valid."
                },
            )
        return Reply(
            200, {"userId": "Ubot0000", "basicId": "@123abcde", "displayName": "窓口ショップ"}
        )

    provider.route("GET", r"/v2/bot/profile/(\w+)", profile)
    provider.route("GET", r"/v2/bot/message/(\w+)/content", content)
    provider.route("POST", "/v2/bot/message/reply", reply)
    provider.route("POST", "/v2/bot/message/push", push)
    provider.route("GET", "/v2/bot/info", info)
    provider.accepted_retry_keys = accepted_retry_keys
    return provider


def test_corpus_text_message_becomes_a_ticket_with_the_profile_name(
    corpus, make_account, client, django_capture_on_commit_callbacks, line_api
):
    account = make_account("line")
    folder = corpus / "webhooks" / "line"
    body = (folder / "text-message-ja.body.json").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/webhooks/line/{account.pk}/",
            data=body,
            content_type="application/json",
            # The signature exactly as the corpus has it: our HMAC must agree with LINE's.
            **corpus_headers(folder / "text-message-ja.headers.txt"),
        )
    assert response.status_code == 200
    assert response.json() == {"ok": True, "stored": 1, "duplicates": 0}
    event = InboundEvent.objects.get(kind="line")
    assert bytes(event.payload) == body  # the raw body, byte for byte
    assert event.idempotency_key == f"{account.pk}:01JTESTWEBHOOKEVENTID000000"
    assert event.headers["X-Line-Signature"]
    assert event.status == InboundStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.channel == "line"
    assert ticket.identity.kind == "line" and ticket.identity.handle == LINE_USER
    assert ticket.customer.name == "山田 花子"
    assert ticket.messages.get().body_text == "注文番号12345の配送状況を教えてください 📦"
    (profile_call,) = line_api.sent("GET", f"/v2/bot/profile/{LINE_USER}")
    assert profile_call.headers["Authorization"] == "Bearer line-channel-access-token"


def test_redelivered_event_is_recognised_and_files_nothing_twice(
    corpus, make_account, post_webhook, line_api
):
    account = make_account("line")
    data = json.loads((corpus / "webhooks/line/text-message-ja.body.json").read_bytes())
    assert post_webhook(account, data).json()["stored"] == 1
    data["events"][0]["deliveryContext"]["isRedelivery"] = True  # LINE's redelivery
    second = post_webhook(account, data)
    assert second.status_code == 200
    assert second.json() == {"ok": True, "stored": 0, "duplicates": 1}
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_verify_ping_with_no_events_is_answered(corpus, make_account, client, line_api):
    account = make_account("line")
    folder = corpus / "webhooks" / "line"
    response = client.post(
        f"/webhooks/line/{account.pk}/",
        data=(folder / "verify-ping.body.json").read_bytes(),
        content_type="application/json",
        **corpus_headers(folder / "verify-ping.headers.txt"),
    )
    assert response.status_code == 200
    assert InboundEvent.objects.count() == 0


def test_bad_signature_is_refused_and_nothing_is_stored(corpus, make_account, client, caplog):
    account = make_account("line")
    body = (corpus / "webhooks/line/text-message-ja.body.json").read_bytes()
    response = client.post(
        f"/webhooks/line/{account.pk}/",
        data=body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE="dg1R8W/TqXvRX7i29d3kdvmV03xTAB0Eu5UoWWrvQnX=",
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid signature"}
    assert "bad or missing signature" in caplog.text
    assert InboundEvent.objects.count() == 0 and Ticket.objects.count() == 0


def test_sdk_corpus_with_every_event_type(corpus, make_account, post_webhook, line_api):
    """The LINE SDK's 28-event fixture: every event is stored; user messages are filed,
    group/room messages and non-message events are stored without a ticket, external
    content that cannot be fetched stays failed for a retry, nothing is lost."""
    account = make_account("line")
    body = (corpus / "webhooks/line/line-bot-sdk-python_tests_v3_webhook.json").read_bytes()
    response = post_webhook(account, body)
    assert response.status_code == 200
    assert response.json()["stored"] == 28
    events = InboundEvent.objects.filter(kind="line")
    assert events.count() == 28
    failed = events.filter(status=InboundStatus.FAILED)
    # The video and audio point at https://example.com (unreachable): kept for a retry.
    assert failed.count() == 2
    assert all(event.next_attempt_at for event in failed)
    assert events.filter(status=InboundStatus.PROCESSED).count() == 26
    # The fixture reuses message id 325708 for every message: LINE message ids are unique,
    # so those are one message (the first), filed once; the LINE-hosted image is the other.
    assert sorted(Message.objects.values_list("external_id", flat=True)) == [
        "line:325708",
        "line:354718705033693861",
    ]
    assert Message.objects.get(external_id="line:325708").body_text == "Hello, world"
    image = Message.objects.get(external_id="line:354718705033693861").attachments.get()
    assert image.content_type == "image/jpeg"
    assert line_api.sent("GET", r"/v2/bot/message/354718705033693861/content")
    # A repeat of the whole body adds nothing.
    assert post_webhook(account, body).json() == {"ok": True, "stored": 0, "duplicates": 28}


def _event(message: dict, user=LINE_USER, event_id="01JTESTEVENT") -> dict:
    return {
        "destination": "Uaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "events": [
            {
                "type": "message",
                "mode": "active",
                "timestamp": 1767225600000,
                "source": {"type": "user", "userId": user},
                "webhookEventId": event_id,
                "deliveryContext": {"isRedelivery": False},
                "replyToken": f"token-{event_id}",
                "message": message,
            }
        ],
    }


def test_sticker_location_and_file_messages(make_account, post_webhook, line_api):
    account = make_account("line")
    post_webhook(
        account,
        _event(
            {
                "id": "9001",
                "type": "sticker",
                "packageId": "446",
                "stickerId": "1988",
                "stickerResourceType": "STATIC",
                "keywords": ["happy", "smile"],
            },
            event_id="E1",
        ),
    )
    post_webhook(
        account,
        _event(
            {
                "id": "9002",
                "type": "location",
                "title": "東京タワー",
                "address": "東京都港区芝公園4-2-8",
                "latitude": 35.6586,
                "longitude": 139.7454,
            },
            event_id="E2",
        ),
    )
    post_webhook(
        account,
        _event(
            {"id": "9003", "type": "file", "fileName": "見積書.pdf", "fileSize": 80}, event_id="E3"
        ),
    )
    ticket = Ticket.objects.get()  # one conversation per customer on LINE
    sticker, location, file = ticket.messages.order_by("id")
    assert sticker.body_text == "(Sticker) happy, smile"
    assert location.body_text.splitlines()[:2] == ["Location: 東京タワー", "東京都港区芝公園4-2-8"]
    assert "mlat=35.6586&mlon=139.7454" in location.body_text
    assert file.attachments.get().filename == "見積書.pdf"


def test_group_messages_are_kept_but_not_filed(make_account, post_webhook, line_api):
    account = make_account("line")
    data = _event({"id": "9100", "type": "text", "text": "hi all"}, event_id="G1")
    data["events"][0]["source"] = {"type": "group", "groupId": "Cgroup", "userId": LINE_USER}
    assert post_webhook(account, data).status_code == 200
    assert InboundEvent.objects.get().status == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 0


def _incoming(make_account, post_webhook, corpus, user=LINE_USER, token="test-reply-token-0001"):
    account = make_account("line")
    data = json.loads((corpus / "webhooks/line/text-message-ja.body.json").read_bytes())
    data["events"][0]["source"]["userId"] = user
    data["events"][0]["replyToken"] = token
    post_webhook(account, data)
    return account, Ticket.objects.get()


def _reply(ticket, agent, text, capture):
    with capture(execute=True):
        return ticket_services.reply(ticket=ticket, author=agent, body_text=text)


def test_reply_uses_the_reply_token_once_then_pushes(
    corpus, make_account, post_webhook, line_api, agent, django_capture_on_commit_callbacks
):
    _account, ticket = _incoming(make_account, post_webhook, corpus)
    first = _reply(
        ticket, agent, "ご連絡ありがとうございます。", django_capture_on_commit_callbacks
    )
    delivery = OutboundDelivery.objects.get(message=first)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_id == "461230966842064897"
    (reply_call,) = line_api.sent("POST", "/v2/bot/message/reply")
    assert reply_call.json() == {
        "replyToken": "test-reply-token-0001",
        "messages": [{"type": "text", "text": "ご連絡ありがとうございます。"}],
    }
    second = _reply(ticket, agent, "発送済みです。", django_capture_on_commit_callbacks)
    assert OutboundDelivery.objects.get(message=second).status == DeliveryStatus.SENT
    (push_call,) = line_api.sent("POST", "/v2/bot/message/push")
    assert push_call.json()["to"] == LINE_USER
    assert re.fullmatch(r"[0-9a-f-]{36}", push_call.headers["X-Line-Retry-Key"])


def test_refused_reply_token_falls_back_to_push(
    corpus, make_account, post_webhook, line_api, agent, django_capture_on_commit_callbacks
):
    _account, ticket = _incoming(make_account, post_webhook, corpus, token="expired-token")
    message = _reply(ticket, agent, "こんにちは", django_capture_on_commit_callbacks)
    assert OutboundDelivery.objects.get(message=message).status == DeliveryStatus.SENT
    assert len(line_api.sent("POST", "/v2/bot/message/reply")) == 1
    assert len(line_api.sent("POST", "/v2/bot/message/push")) == 1


def test_a_retried_push_that_line_already_accepted_is_not_sent_twice(
    corpus, make_account, post_webhook, line_api, agent, django_capture_on_commit_callbacks
):
    from channels_in import services

    _account, ticket = _incoming(make_account, post_webhook, corpus, token="used")
    message = _reply(ticket, agent, "一回目", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    # The response was lost: the row is queued again and retried with the same retry key.
    OutboundDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.QUEUED)
    delivery = services.deliver(delivery.pk)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_id == "req-1"  # LINE's x-line-accepted-request-id
    pushes = line_api.sent("POST", "/v2/bot/message/push")
    assert len(pushes) == 2
    assert pushes[0].headers["X-Line-Retry-Key"] == pushes[1].headers["X-Line-Retry-Key"]


def test_invalid_user_fails_for_good_and_rate_limit_is_retried(
    corpus, make_account, post_webhook, line_api, agent, django_capture_on_commit_callbacks
):
    _account, ticket = _incoming(make_account, post_webhook, corpus, user="Ublocked", token="x")
    refused = _reply(ticket, agent, "届きますか", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=refused)
    assert delivery.status == DeliveryStatus.FAILED
    assert "Failed to send messages" in delivery.last_error
    assert delivery.next_attempt_at is None

    line_api.route(
        "POST",
        "/v2/bot/message/push",
        Reply(429, {"message": "The API rate limit has been exceeded. Try again later."}),
    )
    busy = _reply(ticket, agent, "もう一度", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=busy)
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.next_attempt_at is not None and "429" in delivery.last_error


def test_test_connection_reads_bot_info(make_account, line_api):
    from channels_in.social_accounts import check_connection

    account = make_account("line")
    check = check_connection(account)
    assert check.ok and "窓口ショップ" in check.message
    account.refresh_from_db()
    assert account.external_id == "Ubot0000" and account.last_error == ""
    account.set_access_token("wrong")
    account.save()
    check = check_connection(account)
    assert not check.ok and "access token" in check.message
    account.refresh_from_db()
    assert account.last_error == check.message
