"""CSAT numbers for the dashboard helper and the managers' report, and the `surveys` API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from feedback.models import SurveyResponse
from feedback.selectors import csat_summary
from feedback.services.surveys import RatingInput, record_rating
from tests.factories import UserFactory
from tickets.models import Team

from .conftest import open_ticket, send_due, solve

pytestmark = pytest.mark.django_db


def rated(agent, rating, *, channel="email", team=None, comment=""):
    ticket = open_ticket(ticket__channel=channel, ticket__team=team, ticket__assignee=agent)
    solve(ticket, agent)
    surveys = send_due()
    survey = next(s for s in surveys if s.ticket_id == ticket.pk)
    return record_rating(survey=survey, answer=RatingInput(rating=rating, comment=comment))


@pytest.fixture
def window():
    now = timezone.now()
    return now - timedelta(days=1), now + timedelta(minutes=1)


@pytest.fixture
def ratings(agent, db):
    from feedback.models import SurveySettings

    SurveySettings.objects.create(channel="email", resurvey_days=0, delay_minutes=0)
    SurveySettings.objects.create(channel="web", resurvey_days=0, delay_minutes=0)
    team = Team.objects.create(name="Billing")
    other = UserFactory(role="agent", name="Ben")
    return {
        "team": team,
        "other": other,
        "rows": [
            rated(agent, 1, team=team, comment="great"),
            rated(agent, 1, team=team),
            rated(agent, 0, channel="web", comment="slow"),
            rated(other, 0, team=team),
        ],
    }


def test_summary_counts_and_score(ratings, window):
    since, until = window
    assert csat_summary(since=since, until=until) == {
        "responses": 4,
        "good": 2,
        "bad": 2,
        "score": 50.0,
    }
    assert csat_summary(since=since, until=until, channel="web") == {
        "responses": 1,
        "good": 0,
        "bad": 1,
        "score": 0.0,
    }
    team = csat_summary(since=since, until=until, team_id=ratings["team"].pk)
    assert (team["responses"], team["good"], team["score"]) == (3, 2, 66.7)


def test_summary_of_an_empty_period_has_no_score(db, window):
    since, until = window
    assert csat_summary(since=since, until=until) == {
        "responses": 0,
        "good": 0,
        "bad": 0,
        "score": None,
    }


def test_summary_period_is_by_rating_time(ratings, window):
    since, until = window
    SurveyResponse.objects.filter(comment="great").update(created_at=since - timedelta(days=3))
    assert csat_summary(since=since, until=until)["responses"] == 3


def test_five_point_scale_counts_four_and_five_as_good(agent, db, window):
    from feedback.models import SurveySettings

    SurveySettings.objects.create(channel="email", scale="five", resurvey_days=0, delay_minutes=0)
    for rating in (5, 4, 3, 1):
        rated(agent, rating)
    since, until = window
    assert csat_summary(since=since, until=until)["score"] == 50.0


def test_report_page_for_managers(client, manager, ratings):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    page = client.get("/agent/feedback/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "50.0%" in html
    assert "Aiko Agent" in html and "Ben" in html and "Billing" in html
    assert "great" in html and "slow" in html
    bad_only = client.get("/agent/feedback/?comments=bad").content.decode()
    assert "slow" in bad_only and "great" not in bad_only
    # Garbage filters fall back to defaults rather than erroring.
    assert client.get("/agent/feedback/?days=abc&channel=<x>&team=zz").status_code == 200


def test_report_is_for_managers_only(agent_client, db):
    assert agent_client.get("/agent/feedback/").status_code == 403


def test_api_lists_responses_with_filters(client, ratings, agent):
    token = Token.objects.create(user=agent)
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    everything = client.get("/api/v1/surveys/", **headers)
    assert everything.status_code == 200
    results = everything.json()["results"]
    assert len(results) == 4
    assert set(results[0]) >= {"id", "ticket", "channel", "agent", "team", "rating", "good"}

    web = client.get("/api/v1/surveys/?channel=web", **headers).json()["results"]
    assert [r["comment"] for r in web] == ["slow"]
    mine = client.get(f"/api/v1/surveys/?agent={agent.pk}&rating=good", **headers).json()
    assert len(mine["results"]) == 2
    since = (timezone.now() + timedelta(hours=1)).isoformat()
    later = client.get("/api/v1/surveys/", {"since": since}, **headers).json()
    assert later["results"] == []
    one = client.get(f"/api/v1/surveys/{results[0]['id']}/", **headers)
    assert one.status_code == 200 and one.json()["id"] == results[0]["id"]


@pytest.mark.parametrize(
    "query",
    ["channel=fax", "since=yesterday", "agent=-3", "rating=meh", "colour=red"],
)
def test_api_rejects_bad_filters_with_json(agent_client, query):
    reply = agent_client.get(f"/api/v1/surveys/?{query}")
    assert reply.status_code == 400
    assert reply.json()


def test_api_needs_staff(client, db):
    assert client.get("/api/v1/surveys/").status_code in (401, 403)
    customer = UserFactory(role="customer")
    client.force_login(customer)
    assert client.get("/api/v1/surveys/").status_code == 403
    assert client.get("/api/v1/surveys/999999/").status_code == 403


def test_report_items_and_api_queries_do_not_grow_with_rows(client, manager, ratings, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feedback.services import items

    client.force_login(manager)
    item = items.create_item(actor=agent, title="Dark mode")
    for response in SurveyResponse.objects.all():
        items.link_ticket(item=item, ticket=response.ticket, actor=agent)

    def counts() -> list[int]:
        found = []
        for url in ("/agent/feedback/", "/agent/feedback/items/", "/api/v1/surveys/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    before = counts()
    for rating in (1, 0, 1):
        response = rated(agent, rating, comment="more")
        items.link_ticket(item=item, ticket=response.ticket, actor=agent)
    assert counts() == before
