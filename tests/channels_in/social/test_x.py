"""X: the CRC handshake, signed Account Activity events, and replies that keep a public
mention public and a DM private."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from channels_in.models import DeliveryStatus, OutboundDelivery
from tests.channels_in.social.conftest import X_SECRET
from tests.channels_in.social.provider import Reply
from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
OURS = "9990001"


@pytest.fixture
def x_api(provider):
    provider.route(
        "POST",
        "/2/tweets",
        lambda req, m: Reply(
            201,
            {
                "data": {
                    "id": "1880000000000000001",
                    "text": req.json()["text"],
                    "edit_history_tweet_ids": ["1880000000000000001"],
                }
            },
        ),
    )
    provider.route(
        "POST",
        r"/2/dm_conversations/with/(\d+)/messages",
        lambda req, m: Reply(
            201,
            {
                "data": {
                    "dm_conversation_id": f"{OURS}-{m[1]}",
                    "dm_event_id": "1580000000000000002",
                }
            },
        ),
    )
    provider.route(
        "GET",
        "/2/users/me",
        Reply(200, {"data": {"id": OURS, "name": "Madoguchi", "username": "madoguchi_jp"}}),
    )
    return provider


def dm(event_id="1570000000000000001", sender="12345", text="DMで失礼します"):
    return {
        "for_user_id": OURS,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": "1767225600000",
                "message_create": {
                    "target": {"recipient_id": OURS},
                    "sender_id": sender,
                    "message_data": {"text": text, "entities": {}},
                },
            }
        ],
        "users": {
            sender: {"id": sender, "name": "Hanako", "screen_name": "hanako_s"},
            OURS: {"id": OURS, "name": "Madoguchi", "screen_name": "madoguchi_jp"},
        },
    }


def mention(tweet_id="1870000000000000001", author="12345"):
    return {
        "for_user_id": OURS,
        "user_has_blocked": False,
        "tweet_create_events": [
            {
                "created_at": "Thu Jan 01 00:00:00 +0000 2026",
                "id_str": tweet_id,
                "text": "@madoguchi_jp 注文がまだ届きません",
                "user": {"id_str": author, "name": "Hanako", "screen_name": "hanako_s"},
                "in_reply_to_status_id_str": None,
                "entities": {"user_mentions": [{"id_str": OURS, "screen_name": "madoguchi_jp"}]},
            }
        ],
    }


def test_crc_answers_with_the_documented_response_token(make_account, client):
    account = make_account("x")
    response = client.get(f"/webhooks/x/{account.pk}/", {"crc_token": "challenge-123"})
    expected = base64.b64encode(
        hmac.new(X_SECRET.encode(), b"challenge-123", hashlib.sha256).digest()
    ).decode()
    assert response.status_code == 200
    assert response.json() == {"response_token": f"sha256={expected}"}
    assert client.get(f"/webhooks/x/{account.pk}/").status_code == 400


def test_mention_is_answered_publicly(
    make_account, post_webhook, x_api, agent, django_capture_on_commit_callbacks
):
    account = make_account("x")
    assert post_webhook(account, mention()).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == "x" and ticket.customer.name == "Hanako (@hanako_s)"
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.reply(
            ticket=ticket, author=agent, body_text="DMでご注文番号をお知らせください。"
        )
    delivery = OutboundDelivery.objects.get(message=message)
    assert (
        delivery.status == DeliveryStatus.SENT
        and delivery.provider_id == "tweet:1880000000000000001"
    )
    (call,) = x_api.sent("POST", "/2/tweets")
    assert call.json() == {
        "text": "@hanako_s DMでご注文番号をお知らせください。",
        "reply": {"in_reply_to_tweet_id": "1870000000000000001"},
    }
    assert not x_api.sent("POST", r"/2/dm_conversations/.*")


def test_dm_is_answered_privately(
    make_account, post_webhook, x_api, agent, django_capture_on_commit_callbacks
):
    account = make_account("x")
    post_webhook(account, dm())
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.reply(
            ticket=Ticket.objects.get(), author=agent, body_text="確認します"
        )
    assert OutboundDelivery.objects.get(message=message).provider_id == "dm:1580000000000000002"
    (call,) = x_api.sent("POST", "/2/dm_conversations/with/12345/messages")
    assert call.json() == {"text": "確認します"}
    assert not x_api.sent("POST", "/2/tweets")


def test_public_reply_over_280_characters_is_refused(make_account, post_webhook, x_api, agent):
    from django.core.exceptions import ValidationError

    account = make_account("x")
    post_webhook(account, mention())
    with pytest.raises(ValidationError) as refused:
        ticket_services.reply(ticket=Ticket.objects.get(), author=agent, body_text="あ" * 280)
    assert "280" in refused.value.messages[0]


def test_our_own_events_and_duplicates_file_nothing(make_account, post_webhook, x_api):
    account = make_account("x")
    post_webhook(account, dm(event_id="1570000000000000009", sender=OURS, text="our echo"))
    assert Ticket.objects.count() == 0
    post_webhook(account, dm())
    assert post_webhook(account, dm()).json()["duplicates"] == 1
    assert Ticket.objects.get().messages.count() == 1


def test_bad_signature(make_account, post_webhook):
    account = make_account("x")
    response = post_webhook(
        account, dm(), signed=False, headers={"HTTP_X_TWITTER_WEBHOOKS_SIGNATURE": "sha256=AAAA"}
    )
    assert response.status_code == 401
