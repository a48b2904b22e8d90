# ruff: noqa: F811 (fixtures imported from the per-platform test modules)
"""Social listening: monitors poll X recent search from a checkpoint, store each post once,
back off on 429, score sentiment explainably, and turn a post into a public-reply ticket."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_in import tasks
from channels_in.listening import polling
from channels_in.listening.models import ListeningMonitor, ListeningPost
from channels_in.listening.sentiment import score_text
from channels_in.models import OutboundDelivery
from tests.channels_in.social.provider import Reply
from tests.channels_in.social.test_x import OURS, x_api  # noqa: F401 (fixture)
from tests.factories import STAFF_PASSWORD, UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SEARCH = "/2/tweets/search/recent"
HANAKO = {"id": "555", "name": "花子", "username": "hanako_shop"}
KEN = {"id": "777", "name": "Ken", "username": "ken_t"}


def post(post_id, text, author="555", **extra):
    return {
        "id": post_id,
        "text": text,
        "author_id": author,
        "created_at": "2026-11-20T03:00:00.000Z",
        "lang": "ja",
        "edit_history_tweet_ids": [post_id],
        **extra,
    }


class FakeSearch:
    """GET /2/tweets/search/recent: newest first, since_id honoured, pages of `page`."""

    def __init__(self, provider, page=2):
        self.posts: list[dict] = []
        self.page = page
        self.limited_until: int | None = None
        self.provider = provider
        provider.route("GET", SEARCH, self.serve)

    def serve(self, req, match):
        if req.headers.get("Authorization") != "Bearer x-oauth2-user-token":
            return Reply(401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
        if self.limited_until is not None:
            return Reply(
                429,
                {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
                {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(self.limited_until)},
            )
        query = req.query["query"][0]
        if len(query) > 512:
            return Reply(400, {"errors": [{"message": "query too long"}], "title": "Invalid"})
        since = int((req.query.get("since_id") or ["0"])[0])
        found = [p for p in self.posts if int(p["id"]) > since]
        start = int((req.query.get("next_token") or ["0"])[0])
        chunk = found[start : start + self.page]
        meta = {"result_count": len(chunk)}
        if chunk:
            meta.update(newest_id=found[0]["id"], oldest_id=chunk[-1]["id"])
        if start + self.page < len(found):
            meta["next_token"] = str(start + self.page)
        body = {"meta": meta}
        if chunk:
            body.update(data=chunk, includes={"users": [HANAKO, KEN]})
        return Reply(200, body)


@pytest.fixture
def search(provider):
    return FakeSearch(provider)


@pytest.fixture
def monitor(make_account):
    account = make_account("x")
    return ListeningMonitor.objects.create(
        name="ブランド", account=account, keywords="窓口ショップ\nmadoguchi shop", language="ja"
    )


def test_query_quotes_words_and_leaves_out_retweets_and_ourselves(monitor):
    monitor.excluded_words = "求人"
    assert polling.build_query(monitor) == (
        f'("窓口ショップ" OR "madoguchi shop") -"求人" lang:ja -is:retweet -from:{OURS}'
    )


def test_poll_stores_posts_once_skips_those_tagging_us_and_moves_the_checkpoint(monitor, search):
    search.posts = [
        post("1005", "窓口ショップ最悪、荷物が届かない"),
        post("1004", "@madoguchi_jp 窓口ショップの件", entities={"mentions": [{"id": OURS}]}),
        post("1003", "our own post", author=OURS),
        post("1002", "Love madoguchi shop, thanks!", author="777", lang="en"),
        post("1001", "窓口ショップで買った"),
    ]
    search.page = 10
    outcome = polling.poll_monitor(monitor.pk)
    assert (outcome.stored, outcome.skipped, outcome.error) == (3, 2, "")
    assert sorted(ListeningPost.objects.values_list("post_id", flat=True)) == [
        "1001",
        "1002",
        "1005",
    ]
    monitor.refresh_from_db()
    assert monitor.since_id == "1005"

    bad = ListeningPost.objects.get(post_id="1005")
    assert bad.sentiment == -5 and bad.author_username == "hanako_shop"
    assert bad.sentiment_words == [
        {"word": "最悪", "weight": -3},
        {"word": "届かない", "weight": -2},
    ]

    # The next poll asks only for newer posts, following X's pages.
    search.posts[:0] = [post("1007", "窓口ショップ便利"), post("1006", "窓口ショップ")]
    search.page = 1
    outcome = polling.poll_monitor(monitor.pk)
    assert outcome.stored == 2
    first_page, second_page = search_requests(search)[-2:]
    assert first_page.query["since_id"] == ["1005"] and "next_token" not in first_page.query
    assert second_page.query["next_token"] == ["1"]
    monitor.refresh_from_db()
    assert monitor.since_id == "1007"
    # An overlapping poll (checkpoint lost) stores nothing twice.
    monitor.since_id = "1000"
    monitor.save()
    assert polling.poll_monitor(monitor.pk).stored == 0  # every one already stored
    assert ListeningPost.objects.count() == 5


def search_requests(search):
    return [r for r in search.provider.requests if r.path == SEARCH]


def test_rate_limit_pauses_the_monitor_until_x_says_and_keeps_the_checkpoint(monitor, search):
    monitor.since_id = "900"
    monitor.save()
    search.limited_until = int(time.time()) + 15 * 60
    outcome = polling.poll_monitor(monitor.pk)
    assert "rate limit" in outcome.error
    monitor.refresh_from_db()
    assert monitor.since_id == "900" and monitor.failures == 1
    assert monitor.next_poll_at > timezone.now() + timedelta(minutes=14)
    assert monitor.pk not in polling.monitors_due()

    # Once the window is over, beat polls it again and the pause is lifted.
    search.limited_until = None
    search.posts = [post("1001", "窓口ショップ")]
    later = timezone.now() + timedelta(minutes=16)
    assert monitor.pk in polling.monitors_due(later)
    ListeningMonitor.objects.filter(pk=monitor.pk).update(next_poll_at=None, last_polled_at=None)
    tasks.poll_listening_monitors()
    monitor.refresh_from_db()
    assert monitor.failures == 0 and monitor.last_error == "" and monitor.since_id == "1001"


def test_refused_token_is_shown_and_backed_off(monitor, search):
    from channels_in.social_accounts import save_social_account

    save_social_account(monitor.account, access_token="expired", secret="")
    outcome = polling.poll_monitor(monitor.pk)
    assert "HTTP 401" in outcome.error
    monitor.refresh_from_db()
    assert monitor.next_poll_at is not None and "HTTP 401" in monitor.last_error


def test_malformed_search_items_are_ignored(monitor, provider):
    provider.route(
        "GET",
        SEARCH,
        Reply(
            200,
            {
                "data": ["not a post", {"id": "abc", "text": "x"}, {"id": "12", "text": None}],
                "meta": {"result_count": 3},
            },
        ),
    )
    outcome = polling.poll_monitor(monitor.pk)
    assert outcome.error == "" and outcome.stored == 0


@pytest.mark.parametrize(
    ("text", "score", "words"),
    [
        ("大好きです、ありがとう", 5, ["大好き", "ありがとう"]),
        ("This is not good and the app is broken", -3, ["not good", "broken"]),
        ("普通の投稿", 0, []),
        ("Great service, never slow", 3, ["great", "never slow"]),
    ],
)
def test_sentiment_is_a_sum_of_listed_words(text, score, words):
    result = score_text(text)
    assert result.score == score
    assert [w["word"] for w in result.words] == words


@pytest.fixture
def found(monitor, search):
    search.posts = [
        post("2002", "窓口ショップ最悪 <script>alert(1)</script>"),
        post("2001", "窓口ショップ最高", author="777"),
    ]
    polling.poll_monitor(monitor.pk)
    return {p.post_id: p for p in ListeningPost.objects.all()}


def signed_in(client, role):
    user = UserFactory(role=role)
    client.login(email=user.email, password=STAFF_PASSWORD)
    client.cookies["django_language"] = "en"
    return user


def test_feed_shows_the_scoring_words_and_filters(client, found):
    signed_in(client, "light_agent")
    page = client.get("/agent/settings/listening/feed/").content.decode()
    assert "最悪 -3" in page and "最高 +3" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert "Create ticket" not in page  # light agents read only
    negative = client.get("/agent/settings/listening/feed/?sentiment=negative").content.decode()
    assert "最悪" in negative and "最高" not in negative
    text = client.get("/agent/settings/listening/feed/?q=最高").content.decode()
    assert "最高" in text and "最悪" not in text
    response = client.post(f"/agent/settings/listening/posts/{found['2002'].pk}/ticket/")
    assert response.status_code == 403


def test_create_ticket_files_the_post_on_x_and_the_reply_stays_public(
    client, found, x_api, django_capture_on_commit_callbacks
):
    agent = signed_in(client, "agent")
    target = found["2001"]
    response = client.post(f"/agent/settings/listening/posts/{target.pk}/ticket/")
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/agent/tickets/{ticket.pk}/"
    assert ticket.channel == "x" and ticket.identity.handle == "777"
    assert ticket.customer.name == "Ken (@ken_t)"
    assert ticket.messages.get().body_text == "窓口ショップ最高"
    target.refresh_from_db()
    assert target.status == "ticketed" and target.ticket_id == ticket.pk

    # A second click (or another agent's) opens the same ticket.
    again = client.post(f"/agent/settings/listening/posts/{target.pk}/ticket/")
    assert again["Location"] == f"/agent/tickets/{ticket.pk}/" and Ticket.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_services.reply(
            ticket=ticket, author=agent, body_text="ありがとうございます!"
        )
    assert OutboundDelivery.objects.get(message=reply).provider_id.startswith("tweet:")
    (call,) = x_api.sent("POST", "/2/tweets")
    assert call.json()["reply"] == {"in_reply_to_tweet_id": "2001"}
    assert call.json()["text"].startswith("@ken_t ")


def test_dismiss_and_restore(client, found):
    signed_in(client, "agent")
    target = found["2002"]
    response = client.post(
        f"/agent/settings/listening/posts/{target.pk}/status/",
        {"status": "dismissed", "query": "sentiment=negative&next=https://evil.example/"},
    )
    assert response["Location"] == "/agent/settings/listening/feed/?sentiment=negative"
    target.refresh_from_db()
    assert target.status == "dismissed"
    client.post(f"/agent/settings/listening/posts/{target.pk}/status/", {"status": "bogus"})
    target.refresh_from_db()
    assert target.status == "dismissed"


def test_admin_creates_monitors_managers_only_look(client, make_account, provider):
    account = make_account("x")
    line = make_account("line")
    signed_in(client, "manager")
    assert client.get("/agent/settings/listening/").status_code == 200
    form = {
        "name": "Brand",
        "account": account.pk,
        "keywords": "madoguchi\n窓口",
        "language": "",
        "poll_interval_minutes": 5,
        "active": "on",
    }
    assert client.post("/agent/settings/listening/new/", form).status_code == 403
    client.logout()
    signed_in(client, "admin")
    assert client.post("/agent/settings/listening/new/", form).status_code == 302
    monitor = ListeningMonitor.objects.get()
    assert monitor.keyword_list() == ["madoguchi", "窓口"]

    # Bad input: another channel's account, no keywords, a search longer than X allows.
    for bad in (
        {**form, "account": line.pk},
        {**form, "keywords": "  \n "},
        {**form, "keywords": "\n".join(f"word{i:02d}-{'x' * 20}" for i in range(25))},
        {**form, "poll_interval_minutes": 0},
    ):
        response = client.post(f"/agent/settings/listening/{monitor.pk}/", bad)
        assert response.status_code == 400
    monitor.refresh_from_db()
    assert monitor.keyword_list() == ["madoguchi", "窓口"]

    # Changing the words starts a new checkpoint.
    ListeningMonitor.objects.filter(pk=monitor.pk).update(since_id="123")
    client.post(f"/agent/settings/listening/{monitor.pk}/", {**form, "keywords": "new"})
    monitor.refresh_from_db()
    assert monitor.since_id == "" and monitor.keyword_list() == ["new"]
