"""Manager dashboards: who may see them, the numbers on a hand-computed data set, query bounds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import types

import pytest
from django.utils import timezone

from sla import selectors
from sla.models import Metric, SlaClock, TicketSla
from tests.factories import STAFF_PASSWORD, TicketFactory, UserFactory
from tests.sla.conftest import TOKYO
from tickets.models import Team

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 6, 10, 12, 0, tzinfo=TOKYO)
QUERY = {"period": "custom", "since": "2026-06-08", "until": "2026-06-14"}


@pytest.fixture
def manager(db):
    return UserFactory(role="manager", name="Mika Manager")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def measured(channel="email", *, created=DAY, team=None, **fields):
    ticket = TicketFactory(channel=channel, team=team)
    return TicketSla.objects.create(
        ticket=ticket,
        channel=channel,
        team_id_snapshot=team.pk if team else None,
        created_at=created,
        **fields,
    )


@pytest.fixture
def dataset(agent):
    """Seven first replies (email 10/20/30/40, chat 1/2/9 business minutes), four solves."""
    other = UserFactory(role="agent", name="Bob Agent")
    team = Team.objects.create(name="Tokyo")
    for minutes in (10, 20, 30, 40):
        measured(
            "email",
            team=team,
            first_reply_at=DAY,
            first_reply_minutes=minutes,
            first_reply_by_id=agent.pk,
        )
    for minutes in (1, 2, 9):
        measured(
            "chat", first_reply_at=DAY, first_reply_minutes=minutes, first_reply_by_id=other.pk
        )
    solved_at = DAY + dt.timedelta(hours=3)
    for minutes, replies, reopens in ((100, 1, 0), (200, 1, 1), (300, 2, 0), (400, 3, 0)):
        measured(
            "email",
            team=team,
            solved_at=solved_at,
            solved_by_id=agent.pk,
            resolution_minutes=minutes,
            agent_replies=replies,
            reopens=reopens,
        )
    # Outside the period: never counted.
    measured(
        "email", created=DAY - dt.timedelta(days=30), first_reply_at=DAY, first_reply_minutes=999
    )
    # Clocks: three met, one breached, one cancelled (not judged) in the period.
    ticket = TicketSla.objects.filter(channel="email").first().ticket
    for breached, cancelled in (
        (False, False),
        (False, False),
        (False, False),
        (True, False),
        (False, True),
    ):
        SlaClock.objects.create(
            ticket=ticket,
            metric=Metric.FIRST_REPLY,
            target_minutes=60,
            started_at=DAY,
            due_at=DAY + dt.timedelta(hours=1),
            completed_at=DAY + dt.timedelta(hours=2),
            breached_at=DAY + dt.timedelta(hours=1) if breached else None,
            cancelled=cancelled,
        )
    return {"team": team, "agent": agent, "other": other}


def period(**kwargs):
    since = dt.datetime(2026, 6, 8, tzinfo=TOKYO)
    return selectors.Period(since=since, until=since + dt.timedelta(days=7), **kwargs)


def test_performance_numbers_match_the_hand_computed_set(dataset):
    report = selectors.performance_report(period())
    overall = report["overall"]
    assert overall["tickets"] == 11
    # percentile_cont over 1,2,9,10,20,30,40: median 10; p90 at 5.4 → 30 + 0.4 × 10 = 34
    assert overall["first_reply"]["median"] == 10
    assert overall["first_reply"]["p90"] == pytest.approx(34)
    # 100,200,300,400: median 250; p90 at 2.7 → 300 + 0.7 × 100 = 370
    assert overall["resolution"]["median"] == 250
    assert overall["resolution"]["p90"] == pytest.approx(370)
    assert overall["solved"] == 4
    assert overall["one_touch_rate"] == 50.0
    assert overall["reopen_rate"] == 25.0
    assert overall["attainment"] == {"judged": 4, "met": 3, "rate": 75.0}

    by_channel = {row["key"]: row for row in report["by_channel"]}
    assert by_channel["email"]["first_reply"]["median"] == 25
    assert by_channel["email"]["first_reply"]["p90"] == pytest.approx(37)
    assert by_channel["chat"]["first_reply"]["median"] == 2
    assert by_channel["chat"]["first_reply"]["p90"] == pytest.approx(7.6)
    by_agent = {row["label"]: row for row in report["by_agent"]}
    assert by_agent["Bob Agent"]["first_reply"]["count"] == 3
    assert by_agent["Aiko Agent"]["resolution"]["median"] == 250
    assert {row["channel"]: row["count"] for row in report["volume_by_channel"]} == {
        "email": 8,
        "chat": 3,
    }
    assert report["volume_by_hour"][12]["count"] == 11  # all arrived at 12:00 Tokyo
    assert report["week_grid"] == {(3, 12): 11}  # Wednesday noon: the staffing heatmap


def test_filters_narrow_every_number(dataset):
    report = selectors.performance_report(period(channel="chat"))
    assert report["overall"]["tickets"] == 3
    assert report["overall"]["first_reply"]["median"] == 2
    assert report["overall"]["solved"] == 0
    team_report = selectors.performance_report(period(team_id=dataset["team"].pk))
    assert team_report["overall"]["tickets"] == 8
    assert team_report["overall"]["first_reply"]["median"] == 25


def test_backlog_trend_adds_created_and_subtracts_solved():
    since = dt.datetime(2026, 6, 8, tzinfo=TOKYO)
    measured(created=since - dt.timedelta(days=3))  # still open: opening backlog 1
    measured(created=since - dt.timedelta(days=3), solved_at=since + dt.timedelta(days=1, hours=2))
    measured(created=since + dt.timedelta(hours=10))
    measured(
        created=since + dt.timedelta(days=2, hours=10),
        solved_at=since + dt.timedelta(days=2, hours=11),
    )
    with timezone.override(TOKYO):
        trend = selectors.backlog_trend(period())
    assert [row["backlog"] for row in trend] == [3, 2, 2, 2, 2, 2, 2]
    assert trend[0] == {"day": dt.date(2026, 6, 8), "created": 1, "solved": 0, "backlog": 3}
    assert trend[2]["created"] == 1 and trend[2]["solved"] == 1


def test_now_counts_open_work(agent):
    now = timezone.now()
    TicketFactory(channel="email", status="new")
    TicketFactory(channel="email", status="open", assignee=agent)
    TicketFactory(
        channel="email", status="pending", assignee=agent, sla_due_at=now - dt.timedelta(minutes=5)
    )
    TicketFactory(channel="chat", status="new", sla_due_at=now + dt.timedelta(minutes=20))
    TicketFactory(channel="chat", status="solved")
    replied = TicketFactory(channel="chat", status="open", first_replied_at=now)
    TicketFactory(channel="chat", status="closed")
    oldest = TicketFactory(channel="chat", status="new")
    type(oldest).objects.filter(pk=oldest.pk).update(created_at=now - dt.timedelta(minutes=42))

    snapshot = selectors.now_snapshot(now=now)
    assert snapshot.totals == {"open": 6, "unassigned": 4, "waiting": 5}
    channels = {row["channel"]: row for row in snapshot.by_channel}
    assert channels["chat"]["open"] == 3 and channels["chat"]["waiting"] == 3
    assert channels["email"]["unassigned"] == 1
    assert snapshot.chats_waiting == 2  # the replied chat is not waiting for a first answer
    assert snapshot.longest_chat_wait == dt.timedelta(minutes=42)
    assert snapshot.breached_count == 1
    assert snapshot.at_risk_count == 1
    load = {user.pk: user.open_count for user in snapshot.agent_load}
    assert load[agent.pk] == 2
    assert replied.pk not in [t.pk for t in snapshot.breached]


def test_now_reads_the_open_tickets_in_one_pass(agent, django_assert_num_queries):
    now = timezone.now()
    billing, sales = Team.objects.create(name="Billing"), Team.objects.create(name="Sales")
    for team, channel, assignee in [
        (billing, "email", None),
        (billing, "chat", agent),
        (sales, "email", agent),
        (None, "line", None),
        (billing, "email", agent),
    ]:
        TicketFactory(channel=channel, status="open", team=team, assignee=assignee)
    # One grouped scan, the team names, the two short lists and the staff: 5 whatever the size.
    with django_assert_num_queries(5):
        snapshot = selectors.now_snapshot(now=now)
    assert [(row["team_name"], row["open"], row["unassigned"]) for row in snapshot.by_team] == [
        ("Billing", 3, 1),
        ("Sales", 1, 0),
        (None, 1, 1),
    ]
    assert [row["channel"] for row in snapshot.by_channel] == ["email", "chat", "line"]


@pytest.mark.parametrize(
    "url", ["/dashboards/", "/dashboards/performance/", "/dashboards/performance.csv"]
)
def test_agents_are_refused_and_anonymous_sign_in(client, agent, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(agent)
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(role="customer"))
    assert client.get(url).status_code == 403


def test_managers_and_admins_see_the_dashboards(client, manager):
    for user in (manager, UserFactory(role="admin")):
        client.force_login(user)
        assert client.get("/dashboards/").status_code == 200
        assert client.get("/dashboards/performance/").status_code == 200


def test_nav_link_only_for_managers(client, agent, manager):
    client.force_login(agent)
    assert 'href="/dashboards/"' not in client.get("/agent/").content.decode()
    client.force_login(manager)
    assert 'href="/dashboards/"' in client.get("/agent/").content.decode()


def test_now_page_polls_and_the_poll_returns_only_the_panel(manager_client):
    page = manager_client.get("/dashboards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'hx-trigger="every 15s, sla-refresh"' in page
    assert "<html" in page
    panel = manager_client.get("/dashboards/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in panel
    assert 'id="now-panel"' in panel and 'hx-trigger="every 15s, sla-refresh"' in panel


def test_performance_page_shows_the_numbers(manager_client, dataset):
    page = manager_client.get("/dashboards/performance/", QUERY, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-kpi="tickets">11<' in html
    assert 'data-kpi="first-reply-median">10 min<' in html
    assert 'data-kpi="resolution-median">4 h 10 min<' in html
    assert 'data-kpi="attainment">75%<' in html
    assert 'data-kpi="one-touch">50%<' in html
    assert "<svg" in html and "<script" not in html.split("</main>")[0].split("<main")[1]


def test_csv_export_has_every_group(manager_client, dataset):
    response = manager_client.get("/dashboards/performance.csv", QUERY, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "performance-2026-06-08-2026-06-14.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Group"
    email = next(row for row in rows if row[:2] == ["Channel", "Email"])
    assert email[2:5] == ["4", "25.0", "37.0"]
    assert email[5:8] == ["4", "250.0", "370.0"]
    assert any(row[:2] == ["Agent", "Bob Agent"] for row in rows)
    assert any(row[:2] == ["Team", "Tokyo"] for row in rows)


def test_csv_neutralizes_formulas_in_names(manager_client):
    hostile = UserFactory(role="agent", name='=HYPERLINK("http://evil")')
    measured(first_reply_at=DAY, first_reply_minutes=5, first_reply_by_id=hostile.pk)
    body = manager_client.get("/dashboards/performance.csv", QUERY).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


@pytest.mark.parametrize(
    "params",
    [
        {"period": "custom", "since": "not-a-date", "until": "2026-06-01"},
        {"period": "custom", "since": "2026-06-10", "until": "2026-06-01"},
        {"period": "custom", "since": "2020-01-01", "until": "2026-06-01"},
        {"period": "custom"},
        {"period": "9999"},
        {"team": "999999"},
        {"channel": "<script>"},
        {"team": "x" * 5000},
    ],
)
def test_bad_filters_show_an_error_and_fall_back(manager_client, params):
    response = manager_client.get("/dashboards/performance/", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html or "dash-filters__errors" in html
    assert "<script>" not in html
    assert manager_client.get("/dashboards/performance.csv", params).status_code == 200


def test_csat_appears_when_the_feedback_app_offers_it(manager_client, monkeypatch):
    fake = types.ModuleType("feedback.selectors")
    calls = []

    def csat_summary(*, since, until, channel=None, team_id=None, **more_filters):
        calls.append((since, until, channel, team_id))
        return {"responses": 5, "good": 4, "bad": 1, "score": 80.0}

    fake.csat_summary = csat_summary
    monkeypatch.setitem(sys.modules, "feedback.selectors", fake)
    html = manager_client.get(
        "/dashboards/performance/", {"channel": "chat"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'data-kpi="csat">80%<' in html
    assert calls[0][2] == "chat"
    monkeypatch.setitem(sys.modules, "feedback.selectors", None)  # import fails → no CSAT
    html = manager_client.get("/dashboards/performance/").content.decode()
    assert 'data-kpi="csat"' not in html


def _grow(n):
    team = Team.objects.get_or_create(name="Q")[0]
    for index in range(n):
        user = UserFactory(role="agent")
        measured(
            "line" if index % 2 else "email",
            team=team,
            first_reply_at=DAY,
            first_reply_minutes=index,
            first_reply_by_id=user.pk,
            solved_at=DAY,
            solved_by_id=user.pk,
            resolution_minutes=index * 3,
            agent_replies=1,
        )
        TicketFactory(
            channel="chat",
            status="open",
            assignee=user,
            team=team,
            sla_due_at=timezone.now() - dt.timedelta(minutes=1),
        )


def test_dashboard_queries_do_not_grow_with_the_data(manager_client, django_assert_max_num_queries):
    _grow(3)
    with django_assert_max_num_queries(14):
        assert manager_client.get("/dashboards/").status_code == 200
    with django_assert_max_num_queries(40):  # incl. the previous period and filter choices
        assert manager_client.get("/dashboards/performance/", QUERY).status_code == 200
    _grow(25)
    with django_assert_max_num_queries(14):
        assert manager_client.get("/dashboards/").status_code == 200
    with django_assert_max_num_queries(40):  # incl. the previous period and filter choices
        assert manager_client.get("/dashboards/performance/", QUERY).status_code == 200


def test_sign_in_with_password_reaches_the_dashboard(client, manager):
    assert client.login(email=manager.email, password=STAFF_PASSWORD)
    assert client.get("/dashboards/").status_code == 200
