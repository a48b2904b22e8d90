"""The managers' NPS pages: the campaign form, results by segment, trend, comments and CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import CampaignStatus, NpsCampaign, NpsRecipient, RecipientStatus
from feedback.selectors import nps as nps_selectors
from tests.factories import CustomerFactory

from .nps_helpers import campaign, customer_with_ticket, organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    return client


def answered(item, score, *, comment="", org=None, tags=(), language="ja", channel="email",
             vip=False, when=None):  # fmt: skip
    when = when or timezone.now()
    return NpsRecipient.objects.create(
        campaign=item,
        customer=CustomerFactory(),
        status=RecipientStatus.SENT,
        sent_at=when - timedelta(hours=1),
        expires_at=when + timedelta(days=30),
        nonce="n",
        language=language,
        channel=channel,
        organization=org,
        tags=list(tags),
        vip=vip,
        score=score,
        comment=comment,
        answered_at=None if score is None else when,
    )


def test_nps_is_promoters_minus_detractors_with_counts_and_response_rate():
    item = campaign(status=CampaignStatus.RUNNING)
    for score in (10, 9, 9, 8, 7, 6, 0):
        answered(item, score)
    for _ in range(3):
        answered(item, None)  # sent, not answered

    results = nps_selectors.campaign_results(item)
    summary = results.summary
    assert (summary.sent, summary.responses) == (10, 7)
    assert (summary.promoters, summary.passives, summary.detractors) == (3, 2, 2)
    assert summary.nps == round(100 * (3 - 2) / 7) == 14
    assert summary.response_rate == 70.0
    assert dict(results.distribution)[9] == 2 and dict(results.distribution)[5] == 0


def test_nps_edges():
    assert nps_selectors.nps(0, 0, 0) is None
    assert nps_selectors.nps(5, 0, 5) == 100
    assert nps_selectors.nps(0, 4, 4) == -100


def test_results_by_tag_organization_language_channel_and_vip():
    acme, beta = organization("Acme"), organization("Beta")
    item = campaign(status=CampaignStatus.RUNNING)
    answered(item, 10, org=acme, tags=["gold", "tokyo"], language="ja", vip=True)
    answered(item, 9, org=acme, tags=["gold"], language="en", channel="line")
    answered(item, 2, org=beta, tags=["tokyo"], language="ja")
    answered(item, None, org=beta, tags=["tokyo"], language="ja")

    results = nps_selectors.campaign_results(item)
    by_tag = {row.key: (row.sent, row.responses, row.nps) for row in results.by_tag}
    assert by_tag == {"tokyo": (3, 2, 0), "gold": (2, 2, 100)}
    by_org = {row.label: (row.sent, row.nps, row.response_rate) for row in results.by_organization}
    assert by_org == {"Acme": (2, 100, 100.0), "Beta": (2, -100, 50.0)}
    by_language = {row.key: row.nps for row in results.by_language}
    assert by_language == {"ja": 0, "en": 100}
    assert {row.key: row.responses for row in results.by_channel} == {"email": 2, "line": 1}
    assert {row.key: row.nps for row in results.by_vip} == {True: 100, False: 0}


def test_weekly_trend():
    item = campaign(status=CampaignStatus.RUNNING)
    now = timezone.now()
    answered(item, 10, when=now - timedelta(days=14))
    answered(item, 0, when=now - timedelta(days=14))
    answered(item, 10, when=now)
    trend = nps_selectors.weekly_trend(item)
    assert [(row.responses, row.nps) for row in trend] == [(2, 0), (1, 100)]


def test_form_creates_a_draft_with_its_segment(as_manager, manager):
    acme = organization("Acme")
    page = as_manager.get("/agent/feedback/nps/new/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "How likely are you to recommend us to a friend or colleague?" in html
    assert "当社を友人や同僚に薦める可能性" in html

    reply = as_manager.post(
        "/agent/feedback/nps/new/",
        {
            "name": "2026 Q4 VIP",
            "question_ja": "薦めたいですか？",
            "question_en": "Would you recommend us?",
            "tags": "gold, tokyo、osaka gold",
            "organizations": [acme.pk],
            "vip": "vip",
            "languages": ["ja"],
            "channels": ["email", "line"],
            "active_within_days": "90",
            "sample_mode": "percent",
            "sample_percent": "25",
            "sample_count": "999",
            "throttle_per_hour": "50",
            "exclude_recent_days": "60",
            "starts_at": "2030-01-06T09:00",
            "link_valid_days": "14",
            "change_window_hours": "24",
        },
    )
    assert reply.status_code == 302
    item = NpsCampaign.objects.get()
    assert item.status == CampaignStatus.DRAFT and item.created_by == manager
    assert item.tags == ["gold", "tokyo", "osaka"]
    assert list(item.organizations.all()) == [acme]
    assert (item.vip, item.languages, item.channels) == ("vip", ["ja"], ["email", "line"])
    assert (item.sample_mode, item.sample_percent, item.sample_count) == ("percent", 25, None)
    assert (item.throttle_per_hour, item.exclude_recent_days) == (50, 60)
    assert timezone.localtime(item.starts_at).hour == 9

    detail = as_manager.get(reply["Location"]).content.decode()
    assert "2026 Q4 VIP" in detail
    assert f"/agent/feedback/nps/{item.pk}/preview/" in detail  # counted after the page loads


def test_preview_counts_the_segment_exclusions_and_sample(as_manager):
    for _ in range(3):
        customer_with_ticket(tags=["gold"])
    customer_with_ticket(tags=["gold"], blocked_at=timezone.now())
    customer_with_ticket(tags=["silver"])
    item = campaign(tags=["gold"], sample_mode="count", sample_count=2)
    page = as_manager.get(f"/agent/feedback/nps/{item.pk}/preview/")
    html = page.content.decode()
    assert page.status_code == 200 and "data-preview" in html
    numbers = [int(n) for n in re.findall(r"<strong>(\d+)</strong>", html)]
    assert numbers == [4, 3, 2]  # in the segment, after exclusions, to be asked


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sample_mode": "percent", "sample_percent": ""}, "sample_percent"),
        ({"sample_mode": "percent", "sample_percent": "101"}, "sample_percent"),
        ({"sample_mode": "count", "sample_count": "0"}, "sample_count"),
        ({"throttle_per_hour": "0"}, "throttle_per_hour"),
        ({"throttle_per_hour": "lots"}, "throttle_per_hour"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"tags": " ".join(f"t{n}" for n in range(25))}, "tags"),
        ({"languages": ["xx"]}, "languages"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"organizations": ["999999"]}, "organizations"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"link_valid_days": "0"}, "link_valid_days"),
    ],
)
def test_form_rejects_bad_input_with_a_clear_error(as_manager, change, field):
    data = {
        "name": "Bad input",
        "question_ja": "質問",
        "question_en": "Question",
        "sample_mode": "all",
        "throttle_per_hour": "100",
        "exclude_recent_days": "90",
        "link_valid_days": "30",
        "change_window_hours": "72",
    } | change
    reply = as_manager.post("/agent/feedback/nps/new/", data)
    assert reply.status_code == 400
    assert field in reply.context["form"].errors
    assert not NpsCampaign.objects.exists()


def test_start_pause_finish_through_the_page(as_manager):
    item = campaign()
    url = f"/agent/feedback/nps/{item.pk}/action/"
    as_manager.post(url, {"action": "start"})
    item.refresh_from_db()
    assert item.status == CampaignStatus.RUNNING
    # A started campaign is not edited: the form sends the manager back to the results.
    assert as_manager.get(f"/agent/feedback/nps/{item.pk}/edit/").status_code == 302
    as_manager.post(url, {"action": "pause"})
    item.refresh_from_db()
    assert item.status == CampaignStatus.PAUSED
    as_manager.post(url, {"action": "finish"})
    item.refresh_from_db()
    assert item.status == CampaignStatus.FINISHED
    odd = as_manager.post(url, {"action": "explode"}, follow=True)
    assert "Unknown action." in odd.content.decode()
    again = as_manager.post(url, {"action": "pause"}, follow=True)
    assert "Only a running campaign can be paused." in again.content.decode()


def test_results_page_shows_numbers_segments_and_comments(as_manager):
    acme = organization("Acme")
    item = campaign(status=CampaignStatus.RUNNING, name="Spring")
    answered(item, 10, comment="Great <b>support</b>", org=acme, tags=["gold"])
    answered(item, 3, comment="Too slow", org=acme)
    page = as_manager.get(f"/agent/feedback/nps/{item.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-stat="nps"' in html and ">0<" in html.replace(" ", "")
    for key in ("tag", "organization", "language", "channel", "vip"):
        assert f'data-breakdown="{key}"' in html
    assert "Great &lt;b&gt;support&lt;/b&gt;" in html and "Too slow" in html

    detractors = as_manager.get(f"/agent/feedback/nps/{item.pk}/?comments=detractor")
    assert "Too slow" in detractors.content.decode()
    assert "Great &lt;b&gt;" not in detractors.content.decode()

    listing = as_manager.get("/agent/feedback/nps/").content.decode()
    assert "Spring" in listing and f'data-campaign="{item.pk}"' in listing


def test_csv_export_has_every_answer_and_defuses_formulas(as_manager):
    acme = organization("=HYPERLINK(evil)")
    item = campaign(status=CampaignStatus.RUNNING)
    answered(item, 9, comment="=1+1 very good", org=acme, tags=["gold"])
    answered(item, 4, comment="改善してほしい")
    answered(item, None)

    reply = as_manager.get(f"/agent/feedback/nps/{item.pk}/export.csv")
    assert reply.status_code == 200 and reply["Content-Type"].startswith("text/csv")
    text = b"".join(reply.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["Answered at", "Score", "Category", "Comment"]
    assert len(rows) == 3
    by_score = {row[1]: row for row in rows[1:]}
    assert by_score["9"][2] == "Promoter" and by_score["9"][3] == "'=1+1 very good"
    assert by_score["9"][5] == "'=HYPERLINK(evil)"
    assert by_score["4"][2] == "Detractor" and by_score["4"][3] == "改善してほしい"


def test_agents_and_customers_are_refused(client, agent):
    item = campaign()
    client.force_login(agent)
    for url in (
        "/agent/feedback/nps/",
        "/agent/feedback/nps/new/",
        f"/agent/feedback/nps/{item.pk}/",
        f"/agent/feedback/nps/{item.pk}/export.csv",
    ):
        assert client.get(url).status_code == 403
    assert (
        client.post(f"/agent/feedback/nps/{item.pk}/action/", {"action": "start"}).status_code
        == 403
    )
    item.refresh_from_db()
    assert item.status == CampaignStatus.DRAFT
    client.logout()
    assert client.get("/agent/feedback/nps/").status_code == 302  # to the login page


def test_admin_may_use_the_pages_and_the_nav_shows_them(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/agent/feedback/")
    assert "/agent/feedback/nps/" in page.content.decode()
    assert client.get("/agent/feedback/nps/").status_code == 200


def test_pace_can_change_while_running_within_limits(as_manager):
    item = campaign(status=CampaignStatus.RUNNING, throttle_per_hour=100)
    url = f"/agent/feedback/nps/{item.pk}/action/"
    page = as_manager.get(f"/agent/feedback/nps/{item.pk}/").content.decode()
    assert "data-pace" in page

    as_manager.post(url, {"action": "throttle", "throttle_per_hour": "30"})
    item.refresh_from_db()
    assert item.throttle_per_hour == 30
    for bad in ("0", "-5", "abc", "", "99999999999", "1e3"):
        reply = as_manager.post(url, {"action": "throttle", "throttle_per_hour": bad}, follow=True)
        assert reply.status_code == 200
        item.refresh_from_db()
        assert item.throttle_per_hour == 30

    item.status = CampaignStatus.FINISHED
    item.save()
    done = as_manager.post(url, {"action": "throttle", "throttle_per_hour": "10"}, follow=True)
    assert "A finished campaign sends nothing more." in done.content.decode()


def test_duplicate_makes_a_new_draft_with_the_same_definition(as_manager, manager):
    acme = organization("Acme")
    item = campaign(
        status=CampaignStatus.FINISHED,
        tags=["gold"],
        organizations=[acme],
        languages=["ja"],
        sample_mode="count",
        sample_count=50,
        question_ja="薦めますか？",
    )
    reply = as_manager.post(f"/agent/feedback/nps/{item.pk}/action/", {"action": "duplicate"})
    copy = NpsCampaign.objects.exclude(pk=item.pk).get()
    assert reply["Location"] == f"/agent/feedback/nps/{copy.pk}/edit/"
    assert copy.status == CampaignStatus.DRAFT and copy.created_by == manager
    assert (copy.tags, copy.languages, copy.sample_count, copy.question_ja) == (
        ["gold"],
        ["ja"],
        50,
        "薦めますか？",
    )
    assert list(copy.organizations.all()) == [acme]
    assert copy.recipients.count() == 0 and copy.started_at is None
