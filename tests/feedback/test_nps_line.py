"""A customer who only ever wrote on LINE: the NPS survey is one push message with one link,
sent through the outbound port to the (local, fake) Messaging API, and the link works."""

from __future__ import annotations

import pytest

from feedback.models import NpsRecipient
from tests.channels_in.social import conftest as social
from tests.channels_in.social.provider import Reply
from tickets.models import Ticket

from .nps_helpers import nps_links, path_of, running, sweep

pytestmark = pytest.mark.django_db

provider = social.provider
make_account = social.make_account
post_webhook = social.post_webhook
_site_url = social._site_url
_english = social._english
_fresh_cache = social._fresh_cache

LINE_USER = "U0123456789abcdef0123456789abcdef"


@pytest.fixture
def line_api(provider):
    provider.route(
        "GET", r"/v2/bot/profile/(\w+)", Reply(200, {"displayName": "山田 花子", "language": "ja"})
    )
    provider.route(
        "POST", "/v2/bot/message/push", Reply(200, {"sentMessages": [{"id": "4612309668"}]})
    )
    return provider


def line_text(event_id: str, text: str) -> dict:
    event = {
        "webhookEventId": event_id,
        "timestamp": 1767225600000,
        "source": {"type": "user", "userId": LINE_USER},
        "mode": "active",
        "deliveryContext": {"isRedelivery": False},
        "type": "message",
        "message": {"id": event_id[-6:], "type": "text", "text": text},
    }
    return {"destination": "Ubot0000", "events": [event]}


def test_line_customer_gets_one_push_with_one_link_and_can_answer(
    make_account, post_webhook, line_api, client, django_capture_on_commit_callbacks
):
    account = make_account("line")
    post_webhook(account, line_text("01EVENT0000000000000000001", "注文について質問です"))
    ticket = Ticket.objects.get()
    assert ticket.channel == "line"

    item = running(channels=["line"])
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(item) == 1

    [push] = line_api.sent("POST", "/v2/bot/message/push")
    body = push.json()
    assert body["to"] == LINE_USER
    [message] = body["messages"]
    [link] = nps_links(message["text"])
    assert "?score=" not in link and "/stop/" in message["text"]
    recipient = NpsRecipient.objects.get()
    assert (recipient.channel, recipient.ticket_id) == ("line", ticket.pk)

    page = client.get(path_of(link))
    assert page.status_code == 200 and "data-autosubmit" not in page.content.decode()
    answered = client.post(path_of(link), {"score": "9", "comment": "LINEで気軽に聞けて便利"})
    assert answered.status_code == 302
    recipient.refresh_from_db()
    assert (recipient.score, recipient.comment, recipient.category) == (
        9,
        "LINEで気軽に聞けて便利",
        "promoter",
    )
