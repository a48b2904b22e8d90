"""X polling (API v2 mentions + DM events) for accounts without the webhook, from a stored
checkpoint, against a fake X API that pages and rate-limits as documented."""

# ruff: noqa: F811 (fixtures imported from the per-platform test modules)
from __future__ import annotations

import pytest

from channels_in import tasks, x_polling
from channels_in.models import InboundEvent, SocialAccount
from tests.channels_in.social.provider import Reply
from tests.channels_in.social.test_x import OURS, dm, x_api  # noqa: F401 (fixture)
from tickets import services as ticket_services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

HANAKO = {"id": "555", "name": "花子", "username": "hanako_shop", "profile_image_url": ""}
KEN = {"id": "12345", "name": "Ken", "username": "ken"}


def tweet(tweet_id, text, author="555", **extra):
    return {
        "id": tweet_id,
        "text": text,
        "author_id": author,
        "created_at": "2026-01-01T00:00:00.000Z",
        "edit_history_tweet_ids": [tweet_id],
        **extra,
    }


def dm_event(event_id, text, sender="12345", event_type="MessageCreate"):
    event = {
        "id": event_id,
        "event_type": event_type,
        "created_at": "2026-01-01T00:00:00.000Z",
        "dm_conversation_id": f"{sender}-{OURS}",
    }
    if event_type == "MessageCreate":
        event.update(text=text, sender_id=sender)
    return event


class FakeTimeline:
    """Mentions and DM events, newest first, served in pages of `page` items."""

    def __init__(self, provider, page=2):
        self.mentions: list[dict] = []
        self.dms: list[dict] = []
        self.page = page
        self.fail_mentions: Reply | None = None
        provider.route("GET", rf"/2/users/{OURS}/mentions", self.serve_mentions)
        provider.route("GET", "/2/dm_events", self.serve_dms)

    def _page(self, items, req, users):
        start = int((req.query.get("pagination_token") or ["0"])[0])
        chunk = items[start : start + self.page]
        meta = {"result_count": len(chunk)}
        ids = [item["id"] for item in chunk if isinstance(item, dict) and "id" in item]
        if ids:
            meta.update(newest_id=ids[0], oldest_id=ids[-1])
        if start + self.page < len(items):
            meta["next_token"] = str(start + self.page)
        body = {"meta": meta}
        if chunk:
            body.update(data=chunk, includes={"users": users})
        return Reply(200, body)

    def serve_mentions(self, req, match):
        if req.headers.get("Authorization") != "Bearer x-oauth2-user-token":
            return Reply(401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401})
        if self.fail_mentions is not None:
            return self.fail_mentions
        since = (req.query.get("since_id") or ["0"])[0]
        items = [t for t in self.mentions if "id" not in t or int(t["id"]) > int(since)]
        return self._page(items, req, [HANAKO, KEN])

    def serve_dms(self, req, match):
        return self._page(self.dms, req, [KEN])


@pytest.fixture
def timeline(x_api):
    return FakeTimeline(x_api)


@pytest.fixture
def polled(make_account):
    return make_account("x", poll_enabled=True)


def test_first_poll_files_mentions_and_dms_and_stores_the_checkpoints(
    polled, timeline, django_capture_on_commit_callbacks
):
    timeline.mentions = [tweet("1900000000000000002", "@madoguchi_jp 届きません")]
    timeline.dms = [
        dm_event("1600000000000000003", "DMです"),
        dm_event("1600000000000000002", "", event_type="ParticipantsJoin"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = x_polling.poll_account(polled.pk)
    assert result.stored == 2 and not result.error
    mention = Ticket.objects.get(identity__handle="555")
    assert mention.customer.name == "花子 (@hanako_shop)"
    assert mention.messages.get().external_id == "x:tweet:1900000000000000002"
    assert Ticket.objects.get(identity__handle="12345").messages.get().body_text == "DMです"
    polled.refresh_from_db()
    assert polled.poll_state == {"mentions": "1900000000000000002", "dms": "1600000000000000003"}
    assert polled.last_polled_at is not None and polled.last_error == ""


def test_next_poll_starts_at_the_checkpoint_pages_and_files_nothing_twice(
    polled, timeline, x_api, django_capture_on_commit_callbacks
):
    SocialAccount.objects.filter(pk=polled.pk).update(
        poll_state={"mentions": "1900000000000000001", "dms": "1600000000000000001"}
    )
    timeline.mentions = [
        tweet("1900000000000000004", "@madoguchi_jp 4"),
        tweet("1900000000000000003", "@madoguchi_jp 3"),
        tweet("1900000000000000002", "@madoguchi_jp 2"),
        tweet("1900000000000000001", "old, already filed"),
    ]
    timeline.dms = [
        dm_event("1600000000000000004", "new 4"),
        dm_event("1600000000000000003", "new 3"),
        dm_event("1600000000000000002", "new 2"),
        dm_event("1600000000000000001", "old"),
        dm_event("1500000000000000000", "older"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        first = x_polling.poll_account(polled.pk)
    assert first.stored == 6
    calls = x_api.sent("GET", rf"/2/users/{OURS}/mentions")
    assert [c.query["since_id"] for c in calls] == [["1900000000000000001"]] * 2  # two pages
    assert len(x_api.sent("GET", "/2/dm_events")) == 2  # stopped at the checkpoint
    texts = list(
        Message.objects.filter(ticket__identity__handle="555")
        .order_by("id")
        .values_list("body_text", flat=True)
    )
    assert texts == ["@madoguchi_jp 2", "@madoguchi_jp 3", "@madoguchi_jp 4"]  # oldest first
    assert "old" not in Message.objects.values_list("body_text", flat=True)

    # The same items again (an overlapping poll, a reset checkpoint) are recognised.
    SocialAccount.objects.filter(pk=polled.pk).update(poll_state={})
    with django_capture_on_commit_callbacks(execute=True):
        again = x_polling.poll_account(polled.pk)
    assert again.stored == 0 and again.duplicates == 4
    assert Message.objects.count() == 6


def test_a_dm_that_came_by_webhook_is_not_filed_again_by_polling(
    polled, timeline, post_webhook, django_capture_on_commit_callbacks
):
    post_webhook(polled, dm(event_id="1570000000000000001"))
    timeline.dms = [dm_event("1570000000000000001", "DMで失礼します")]
    with django_capture_on_commit_callbacks(execute=True):
        result = x_polling.poll_account(polled.pk)
    assert result.duplicates == 1 and Message.objects.count() == 1


def test_rate_limit_keeps_the_checkpoint_and_is_shown_on_the_account(
    polled, timeline, django_capture_on_commit_callbacks
):
    SocialAccount.objects.filter(pk=polled.pk).update(poll_state={"mentions": "100"})
    timeline.fail_mentions = Reply(
        429, {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}
    )
    timeline.dms = [dm_event("1600000000000000009", "届いた？")]
    with django_capture_on_commit_callbacks(execute=True):
        result = x_polling.poll_account(polled.pk)
    assert "429" in result.error
    polled.refresh_from_db()
    assert polled.poll_state == {"mentions": "100", "dms": "1600000000000000009"}
    assert "Polling X mentions failed" in polled.last_error
    assert Message.objects.count() == 1  # the DMs still came in

    timeline.fail_mentions = Reply(
        401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}
    )
    assert "HTTP 401: Unauthorized" in x_polling.poll_account(polled.pk).error


def test_malformed_items_are_skipped_not_fatal(
    polled, timeline, django_capture_on_commit_callbacks
):
    timeline.mentions = [{"text": "no id"}, tweet("1900000000000000005", "@madoguchi_jp ok")]
    timeline.dms = ["not an object", dm_event("x1", "bad id")]
    with django_capture_on_commit_callbacks(execute=True):
        result = x_polling.poll_account(polled.pk)
    assert result.stored == 1 and not result.error


def test_a_polled_mention_is_answered_in_public_with_the_name(
    polled, timeline, x_api, agent, django_capture_on_commit_callbacks
):
    timeline.mentions = [tweet("1900000000000000007", "@madoguchi_jp 壊れてました")]
    with django_capture_on_commit_callbacks(execute=True):
        x_polling.poll_account(polled.pk)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply(ticket=Ticket.objects.get(), author=agent, body_text="失礼しました")
    (post,) = x_api.sent("POST", "/2/tweets")
    assert post.json() == {
        "text": "@hanako_shop 失礼しました",
        "reply": {"in_reply_to_tweet_id": "1900000000000000007"},
    }


def test_beat_tick_polls_only_active_polling_x_accounts(make_account, timeline, x_api):
    polling = make_account("x", poll_enabled=True, name="polls")
    make_account("x", name="webhook only")
    make_account("x", poll_enabled=True, active=False, name="off")
    tasks.poll_x_accounts()  # Celery runs eagerly in tests
    polling.refresh_from_db()
    assert polling.last_polled_at is not None
    assert len(x_api.sent("GET", rf"/2/users/{OURS}/mentions")) == 1
    assert InboundEvent.objects.count() == 0
