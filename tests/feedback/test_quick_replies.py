"""CSAT on LINE and Messenger: the survey goes out with one quick-reply button per rating, and
the tapped button comes back as a rating — never as a message that would reopen the ticket.
Against the local fake Messaging API / Graph API of the social channel tests."""

from __future__ import annotations

import pytest

from feedback.models import SurveyResponse, SurveySettings, SurveyStatus
from feedback.quick_replies import MAX_LABEL
from tests.channels_in.social import conftest as social
from tests.channels_in.social.provider import Reply
from tickets.models import AuthorKind, Status, Ticket

from .conftest import send_due, solve

pytestmark = pytest.mark.django_db

# The social channel tests' fixtures: the fake provider API, accounts, signed webhook posts,
# and their autouse settings (SITE_URL, English, a clean cache) for this module only.
provider = social.provider
make_account = social.make_account
post_webhook = social.post_webhook
_site_url = social._site_url
_english = social._english
_fresh_cache = social._fresh_cache

LINE_USER = "U0123456789abcdef0123456789abcdef"
PAGE = "200000000000001"
PSID = "300000000000042"


@pytest.fixture
def line_api(provider):
    provider.route(
        "GET", r"/v2/bot/profile/(\w+)", Reply(200, {"displayName": "山田 花子", "language": "ja"})
    )
    provider.route(
        "POST", "/v2/bot/message/push", Reply(200, {"sentMessages": [{"id": "4612309668"}]})
    )
    return provider


@pytest.fixture
def graph(provider):
    provider.route("POST", r"/(\d+|me)/messages", Reply(200, {"message_id": "m_SENT0001"}))
    provider.route("GET", r"/(\d+)", Reply(200, {"first_name": "Anna", "last_name": "Berg"}))
    return provider


def line_event(event_id: str, user: str = LINE_USER, **fields) -> dict:
    event = {
        "webhookEventId": event_id,
        "timestamp": 1767225600000,
        "source": {"type": "user", "userId": user},
        "mode": "active",
        "deliveryContext": {"isRedelivery": False},
        **fields,
    }
    return {"destination": "Ubot0000", "events": [event]}


def line_text(event_id: str, text: str) -> dict:
    return line_event(
        event_id, type="message", message={"id": event_id[-6:], "type": "text", "text": text}
    )


def line_postback(event_id: str, data: str, user: str = LINE_USER) -> dict:
    return line_event(event_id, user=user, type="postback", postback={"data": data})


def surveyed(kind: str, capture, agent) -> Ticket:
    """The one ticket solved and its survey sent (delivery run against the fake API)."""
    SurveySettings.objects.create(channel=kind, delay_minutes=5)
    ticket = Ticket.objects.get()
    ticket.customer.language = "en"  # the survey (and its buttons) speak the customer's language
    ticket.customer.save(update_fields=["language"])
    solve(ticket, agent)
    with capture(execute=True):
        [survey] = send_due(6)
    assert survey.status == SurveyStatus.SENT
    return ticket


def test_line_survey_has_postback_buttons_and_a_tap_is_a_rating(
    make_account, post_webhook, line_api, agent, django_capture_on_commit_callbacks
):
    account = make_account("line")
    post_webhook(account, line_text("01EVENT0000000000000000001", "返品したいです"))
    ticket = surveyed("line", django_capture_on_commit_callbacks, agent)

    [push] = line_api.sent("POST", "/v2/bot/message/push")
    last = push.json()["messages"][-1]
    items = last["quickReply"]["items"]
    assert [i["action"]["type"] for i in items] == ["postback", "postback"]
    labels = [i["action"]["label"] for i in items]
    assert labels == ["Good, I'm satisfied", "Bad, I'm unsatisfied"]
    assert all(len(label) <= MAX_LABEL for label in labels)
    assert all(i["action"]["displayText"] == i["action"]["label"] for i in items)
    bad = items[1]["action"]["data"]
    assert bad.startswith("csat:0:") and len(bad) <= 300

    response = post_webhook(account, line_postback("01EVENT0000000000000000002", bad))
    assert response.status_code == 200
    rating = SurveyResponse.objects.get()
    assert (rating.rating, rating.is_good, rating.channel) == (0, False, "line")
    # Not filed as a customer message; the thank-you goes back on LINE with the comment link.
    assert ticket.messages.filter(author_kind=AuthorKind.CUSTOMER).count() == 1
    thanks = line_api.sent("POST", "/v2/bot/message/push")[-1].json()["messages"][0]["text"]
    assert "/survey/" in thanks and "quickReply" not in thanks

    # The same tap redelivered, and the same button tapped again: nothing changes.
    post_webhook(account, line_postback("01EVENT0000000000000000002", bad))
    post_webhook(account, line_postback("01EVENT0000000000000000003", bad))
    assert SurveyResponse.objects.get().changes == 0
    assert len(line_api.sent("POST", "/v2/bot/message/push")) == 2

    # Changing one's mind within the window: the good button.
    good = items[0]["action"]["data"]
    post_webhook(account, line_postback("01EVENT0000000000000000004", good))
    rating.refresh_from_db()
    assert (rating.rating, rating.is_good, rating.changes) == (1, True, 1)


def test_line_tampered_foreign_and_odd_postbacks_record_nothing(
    make_account, post_webhook, line_api, agent, django_capture_on_commit_callbacks
):
    account = make_account("line")
    post_webhook(account, line_text("01EVENT0000000000000000011", "こんにちは"))
    surveyed("line", django_capture_on_commit_callbacks, agent)
    [push] = line_api.sent("POST", "/v2/bot/message/push")
    good = push.json()["messages"][-1]["quickReply"]["items"][0]["action"]["data"]

    hostile = [
        good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb"),  # edited signature
        good.replace("csat:1:", "csat:7:"),  # out of range, genuine token
        good.replace("csat:1:", "csat:x:"),
        "csat:1:" + "A" * 400,  # oversized
        "csat:",
        "richmenu=switch",  # somebody else's postback: not ours, ignored
    ]
    for n, data in enumerate(hostile):
        response = post_webhook(account, line_postback(f"01EVENT00000000000000001{n:02d}", data))
        assert response.status_code == 200
    # Another LINE user replaying this customer's button.
    other = line_postback(
        "01EVENT0000000000000000199", good, user="Uffffffffffffffffffffffffffffff0"
    )
    assert post_webhook(account, other).status_code == 200
    assert not SurveyResponse.objects.exists()
    # The out-of-range tap got a clear answer on LINE; the rest were silently refused.
    texts = [r.json()["messages"][0]["text"] for r in line_api.sent("POST", "/v2/bot/message/push")]
    assert texts[1:] == ["Please choose one of the ratings shown."]


def messenger_body(mid: str, *, text: str, payload: str | None = None) -> dict:
    message = {"mid": mid, "text": text}
    if payload is not None:
        message["quick_reply"] = {"payload": payload}
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": 1767225600123,
                "messaging": [
                    {
                        "sender": {"id": PSID},
                        "recipient": {"id": PAGE},
                        "timestamp": 1767225600000,
                        "message": message,
                    }
                ],
            }
        ],
    }


def test_messenger_survey_has_quick_replies_and_a_tap_is_a_rating(
    make_account, post_webhook, graph, agent, django_capture_on_commit_callbacks
):
    account = make_account("messenger")
    post_webhook(account, messenger_body("m_IN0001", text="Where is my parcel?"))
    ticket = surveyed("messenger", django_capture_on_commit_callbacks, agent)
    sends = graph.sent("POST", r"/(\d+|me)/messages")
    message = sends[-1].json()["message"]
    quick = message["quick_replies"]
    assert [q["content_type"] for q in quick] == ["text", "text"]
    assert all(len(q["title"]) <= MAX_LABEL for q in quick)
    assert all(not s.json()["message"].get("quick_replies") for s in sends[:-1])

    post_webhook(
        account, messenger_body("m_IN0002", text=quick[0]["title"], payload=quick[0]["payload"])
    )
    rating = SurveyResponse.objects.get()
    assert (rating.is_good, rating.channel) == (True, "messenger")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED  # a rating is not a new question: no reopen
    assert ticket.messages.filter(author_kind=AuthorKind.CUSTOMER).count() == 1

    # Another app's quick reply is an ordinary message, filed as usual.
    post_webhook(account, messenger_body("m_IN0003", text="Size M", payload="SIZE_M"))
    assert ticket.messages.filter(author_kind=AuthorKind.CUSTOMER).count() == 2


def test_ordinary_replies_get_no_buttons(
    make_account, post_webhook, line_api, agent, django_capture_on_commit_callbacks
):
    from tickets.services import reply

    account = make_account("line")
    post_webhook(account, line_text("01EVENT0000000000000000021", "質問です"))
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply(ticket=ticket, author=agent, body_text="お答えします")
    [push] = line_api.sent("POST", "/v2/bot/message/push")
    assert all("quickReply" not in m for m in push.json()["messages"])
