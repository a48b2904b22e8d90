"""Telegram bots: secret-token webhooks, getFile downloads, sendMessage and its errors."""

from __future__ import annotations

import pytest

from channels_in.models import DeliveryStatus, InboundEvent, OutboundDelivery, SocialAccount
from tests.channels_in.social.conftest import TOKENS
from tests.channels_in.social.provider import JPEG, Reply
from tickets import services as ticket_services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db
BOT = f"/bot{TOKENS['telegram']}"


@pytest.fixture
def bot_api(provider):
    def send(req, match):
        chat = req.json()["chat_id"]
        if chat == "666":
            return Reply(
                403,
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
            )
        return Reply(
            200,
            {
                "ok": True,
                "result": {
                    "message_id": 77,
                    "chat": {"id": int(chat)},
                    "date": 1767225700,
                    "text": req.json()["text"],
                },
            },
        )

    provider.route("POST", f"{BOT}/sendMessage", send)
    provider.route(
        "GET",
        f"{BOT}/getFile",
        lambda req, m: Reply(
            200,
            {
                "ok": True,
                "result": {
                    "file_id": req.query["file_id"][0],
                    "file_unique_id": "u",
                    "file_size": len(JPEG),
                    "file_path": "photos/file_1.jpg",
                },
            },
        ),
    )
    provider.route(
        "GET", f"/file{BOT}/photos/file_1.jpg", Reply(200, JPEG, {"Content-Type": "image/jpeg"})
    )
    provider.route(
        "GET",
        f"{BOT}/getMe",
        Reply(
            200,
            {
                "ok": True,
                "result": {
                    "id": 123456,
                    "is_bot": True,
                    "first_name": "Madoguchi",
                    "username": "madoguchi_bot",
                },
            },
        ),
    )
    provider.route(
        "POST",
        f"{BOT}/setWebhook",
        Reply(200, {"ok": True, "result": True, "description": "Webhook was set"}),
    )
    return provider


def update(update_id=10001, chat=4242, **message):
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {
                "id": chat,
                "is_bot": False,
                "first_name": "Taro",
                "last_name": "Sato",
                "language_code": "ja",
            },
            "chat": {"id": chat, "first_name": "Taro", "type": "private"},
            "date": 1767225600,
            **message,
        },
    }


def test_text_and_photo_become_one_conversation(make_account, post_webhook, bot_api):
    account = make_account("telegram")
    assert post_webhook(account, update(text="返品したいです")).status_code == 200
    photo = [
        {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 90},
        {"file_id": "large", "file_unique_id": "b", "width": 1280, "height": 960},
    ]
    assert (
        post_webhook(account, update(10002, photo=photo, caption="箱が潰れています")).status_code
        == 200
    )
    ticket = Ticket.objects.get()
    assert ticket.channel == "telegram" and ticket.customer.name == "Taro Sato"
    first, second = ticket.messages.order_by("id")
    assert first.body_text == "返品したいです"
    assert second.body_text == "箱が潰れています"
    assert second.attachments.get().filename == "file_1.jpg"
    (get_file,) = bot_api.sent("GET", f"{BOT}/getFile")
    assert get_file.query["file_id"] == ["large"]  # the biggest size


def test_missing_or_wrong_secret_token_is_refused(make_account, post_webhook, client):
    account = make_account("telegram")
    assert post_webhook(account, update(), signed=False).status_code == 401
    wrong = post_webhook(
        account, update(), signed=False, headers={"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": "nope"}
    )
    assert wrong.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_same_update_twice_is_one_message(make_account, post_webhook, bot_api):
    account = make_account("telegram")
    post_webhook(account, update(text="hi"))
    again = post_webhook(account, update(text="hi"))
    assert again.json()["duplicates"] == 1
    assert Message.objects.count() == 1


def test_update_without_update_id_is_malformed(make_account, post_webhook):
    account = make_account("telegram")
    response = post_webhook(account, {"message": {"text": "x"}})
    assert response.status_code == 400
    assert InboundEvent.objects.get().status == "failed"


def test_reply_and_blocked_bot(
    make_account, post_webhook, bot_api, agent, django_capture_on_commit_callbacks
):
    account = make_account("telegram")
    post_webhook(account, update(text="hi"))
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.reply(
            ticket=Ticket.objects.get(), author=agent, body_text="こんにちは"
        )
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.SENT and delivery.provider_id == "77"
    assert bot_api.sent("POST", f"{BOT}/sendMessage")[0].json() == {
        "chat_id": "4242",
        "text": "こんにちは",
    }

    post_webhook(account, update(20001, chat=666, text="me too"))
    blocked_ticket = Ticket.objects.get(identity__handle="666")
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.reply(ticket=blocked_ticket, author=agent, body_text="hello")
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.FAILED
    assert "bot was blocked by the user" in delivery.last_error


def test_generated_secret_and_register_webhook(make_account, bot_api):
    from channels_in.social_accounts import (
        check_connection,
        register_telegram_webhook,
        save_social_account,
    )

    account = save_social_account(
        SocialAccount(kind="telegram", name="Bot", api_base_url=bot_api.url),
        access_token=TOKENS["telegram"],
    )
    secret = account.get_secret()
    assert len(secret) >= 32
    assert check_connection(account).ok
    account.refresh_from_db()
    assert account.external_id == "madoguchi_bot"
    assert register_telegram_webhook(account).ok
    (call,) = bot_api.sent("POST", f"{BOT}/setWebhook")
    assert call.json()["url"] == f"http://testserver/webhooks/telegram/{account.pk}/"
    assert call.json()["secret_token"] == secret


def test_reply_is_refused_when_the_account_is_deactivated(
    make_account, post_webhook, bot_api, agent
):
    from django.core.exceptions import ValidationError

    account = make_account("telegram")
    post_webhook(account, update(text="hi"))
    account.active = False
    account.save()
    with pytest.raises(ValidationError) as refused:
        ticket_services.reply(ticket=Ticket.objects.get(), author=agent, body_text="hello")
    assert "is deactivated" in refused.value.messages[0]
    assert Message.objects.count() == 1  # the reply was not stored
    assert not bot_api.sent("POST", f"{BOT}/sendMessage")
