"""Dashboards, round two: who is online on "Now", the previous period beside every headline
number, and the agent and tag filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from sla import rollups, selectors
from tests.factories import TicketFactory, UserFactory
from tests.sla.test_dashboards import DAY, QUERY, measured, period
from tickets import presence
from tickets.models import Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager", name="Mika Manager"))
    return client


@pytest.fixture
def fresh_presence():
    presence._client().delete(presence._key("online"))
    yield
    presence._client().delete(presence._key("online"))
    cache.clear()


def test_now_shows_agents_online_first_with_their_load(manager_client, fresh_presence):
    busy = UserFactory(role="agent", name="Busy Offline")
    here = UserFactory(role="agent", name="Here Online")
    for _n in range(3):
        TicketFactory(status="open", assignee=busy)
    TicketFactory(status="open", assignee=here)
    presence.touch_online(here.pk)

    snapshot = selectors.now_snapshot()
    assert snapshot.agents_online == 1
    assert snapshot.agent_load[0] == here and snapshot.agent_load[0].is_online
    offline = next(user for user in snapshot.agent_load if user == busy)
    assert (offline.is_online, offline.open_count) == (False, 3)

    html = manager_client.get("/dashboards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-kpi="online">1<' in html
    assert html.index("Here Online") < html.index("Busy Offline")
    assert 'data-online="1"' in html and 'data-online="0"' in html
    assert "Online</td>" in html and "Offline</td>" in html


def test_previous_period_numbers_and_changes(agent):
    before = DAY - dt.timedelta(days=7)
    for minutes in (40, 60):
        measured(created=before, first_reply_at=before, first_reply_minutes=minutes)
    measured(created=before, solved_at=before, resolution_minutes=500, agent_replies=2)
    for minutes in (10, 20, 30):
        measured(first_reply_at=DAY, first_reply_minutes=minutes)
    measured(solved_at=DAY, resolution_minutes=100, agent_replies=1)

    report = selectors.performance_report(period())
    assert report["previous"]["tickets"] == 3 and report["overall"]["tickets"] == 4
    assert report["previous"]["first_reply"]["median"] == 50
    changes = report["changes"]
    assert changes["tickets"] == {"delta": 1, "better": None, "before": 3}
    assert changes["first_reply_median"]["delta"] == -30  # 20 now, 50 before
    assert changes["first_reply_median"]["better"] is True  # faster is better
    assert changes["resolution_median"]["delta"] == -400
    assert changes["one_touch"] == {"delta": 100.0, "better": True, "before": 0.0}
    assert changes["attainment"]["delta"] is None  # no clocks judged in either period


def test_performance_page_shows_the_comparison(manager_client):
    before = DAY - dt.timedelta(days=7)
    measured(created=before, first_reply_at=before, first_reply_minutes=60)
    measured(first_reply_at=DAY, first_reply_minutes=90)
    html = manager_client.get(
        "/dashboards/performance/", QUERY, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "vs previous period" in html
    assert 'kpi__change kpi__change--worse" data-change="30.0"' in html  # slower first reply


def test_agent_and_tag_filters_narrow_the_numbers(manager_client, agent):
    other = UserFactory(role="agent", name="Bob Agent")
    mine = measured(first_reply_at=DAY, first_reply_minutes=10, first_reply_by_id=agent.pk)
    measured(first_reply_at=DAY, first_reply_minutes=50, first_reply_by_id=other.pk)
    measured(solved_at=DAY, resolution_minutes=70, solved_by_id=agent.pk)
    vip = Tag.objects.create(name="vip")
    mine.ticket.tags.add(vip)
    rollups.rebuild_all()  # tag and agent filters are read from the rollups

    # The agent's work: the ticket they answered first, the one they solved.
    by_agent = selectors.performance_report(period(agent_id=agent.pk))["overall"]
    assert (by_agent["tickets"], by_agent["first_reply"]["count"], by_agent["solved"]) == (1, 1, 1)
    assert 10 <= by_agent["first_reply"]["median"] < 15  # within its histogram bucket
    by_tag = selectors.performance_report(period(tag="vip"))["overall"]
    assert (by_tag["tickets"], by_tag["first_reply"]["count"]) == (1, 1)
    assert 10 <= by_tag["first_reply"]["median"] < 15
    assert selectors.performance_report(period(tag="nope"))["overall"]["tickets"] == 0

    html = manager_client.get(
        "/dashboards/performance/",
        {**QUERY, "agent": agent.pk, "tag": "  VIP "},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert 'data-kpi="tickets">1<' in html
    assert '<option value="vip">' in html  # the tag box suggests existing tags
    csv_body = manager_client.get(
        "/dashboards/performance.csv", {**QUERY, "agent": agent.pk}
    ).content.decode("utf-8-sig")
    assert "Bob Agent" not in csv_body


@pytest.mark.parametrize("params", [{"agent": "999999"}, {"agent": "abc"}, {"tag": "x" * 500}])
def test_bad_agent_or_tag_filters_fall_back_with_a_message(manager_client, params):
    response = manager_client.get(
        "/dashboards/performance/", {**QUERY, **params}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert (
        "Showing the last 7 days for all channels and teams instead." in response.content.decode()
    )


def test_hostile_tag_text_is_only_ever_text(manager_client):
    html = manager_client.get(
        "/dashboards/performance/",
        {**QUERY, "tag": "<script>alert(1)</script>"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
