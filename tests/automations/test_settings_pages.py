"""Managers and admins edit rules with clear errors; agents and strangers cannot."""

from __future__ import annotations

import pytest

from automations.models import (
    AgentCapacity,
    AgentSkills,
    Automation,
    AutomationRun,
    RoutingRule,
    TeamAssignment,
    WebhookEndpoint,
)
from tests.factories import UserFactory
from tests.tickets.page import ticket_page_html
from tickets.models import Team

pytestmark = pytest.mark.django_db

BASE = "/agent/automations/"


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize(
    "path", ["", "new/", "routing/", "routing/new/", "assignment/", "webhooks/", "log/"]
)
def test_agents_get_403_and_strangers_the_login_page(client, path):
    assert client.get(BASE + path).status_code == 302
    client.force_login(UserFactory(role="agent"))
    assert client.get(BASE + path).status_code == 403


@pytest.mark.parametrize(
    "path",
    ["", "new/", "routing/", "routing/new/", "assignment/", "webhooks/", "webhooks/new/", "log/"],
)
def test_every_page_renders_for_a_manager(manager_client, path):
    assert manager_client.get(BASE + path).status_code == 200


def test_create_a_routing_rule_and_see_it_listed(manager_client):
    team = Team.objects.create(name="Returns")
    response = manager_client.post(
        BASE + "routing/new/",
        {
            "name": "返品",
            "position": "5",
            "active": "on",
            "channels": ["email", "web"],
            "keywords": "返品、返金, refund",
            "customer_tags": "",
            "languages": "JA",
            "set_team": team.pk,
            "set_priority": "high",
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.keywords == ["返品", "返金", "refund"] and rule.languages == ["ja"]
    assert rule.channels == ["email", "web"]
    listing = manager_client.get(BASE + "routing/").content.decode()
    assert "返品" in listing and "Email, Web form" in listing


def test_a_rule_that_does_nothing_is_refused_with_a_message(manager_client):
    response = manager_client.post(BASE + "routing/new/", {"name": "empty", "position": "0"})
    assert response.status_code == 400
    assert "A rule must set a team, a priority or a product." in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_hostile_and_oversized_input_is_refused_or_escaped(manager_client):
    response = manager_client.post(
        BASE + "routing/new/",
        {
            "name": "<script>alert(1)</script>",
            "position": "1",
            "keywords": "x" * 101,
            "set_priority": "high",
        },
    )
    assert response.status_code == 400
    assert "too long" in response.content.decode()
    response = manager_client.post(
        BASE + "routing/new/",
        {
            "name": "<script>alert(1)</script>",
            "position": "1",
            "set_priority": "high",
            "channels": ["fax"],
        },
    )
    assert response.status_code == 400 and "fax" in response.content.decode()
    manager_client.post(
        BASE + "routing/new/",
        {
            "name": "<script>alert(1)</script>",
            "position": "1",
            "set_priority": "high",
        },
    )
    html = manager_client.get(BASE + "routing/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert (
        manager_client.post(
            BASE + "routing/new/", {"name": "n", "position": "-3", "set_priority": "high"}
        ).status_code
        == 400
    )


def test_automation_form_needs_an_action_and_refuses_self_triggering(manager_client):
    response = manager_client.post(
        BASE + "new/", {"name": "x", "position": "0", "event": "created"}
    )
    assert response.status_code == 400
    assert "Choose at least one action." in response.content.decode()

    response = manager_client.post(
        BASE + "new/",
        {
            "name": "flip",
            "position": "0",
            "event": "status_changed",
            "set_status": "open",
        },
    )
    assert response.status_code == 400
    assert "would set the status it reacts to" in response.content.decode()

    response = manager_client.post(
        BASE + "new/",
        {
            "name": "reply",
            "position": "0",
            "event": "created",
            "channels": ["email"],
            "add_tags": "New, new, 新規",
            "reply_text": "ありがとうございます #{{ticket.id}}",
            "active": "on",
        },
    )
    assert response.status_code == 302
    automation = Automation.objects.get()
    assert automation.add_tags == ["new", "新規"]
    response = manager_client.post(f"{BASE}{automation.pk}/delete/")
    assert response.status_code == 302 and not Automation.objects.exists()


def test_moving_rules_up_and_down_renumbers_them(manager_client):
    a = RoutingRule.objects.create(name="a", position=1, set_priority="high")
    b = RoutingRule.objects.create(name="b", position=1, set_priority="low")
    c = RoutingRule.objects.create(name="c", position=7, set_priority="low")
    manager_client.post(f"{BASE}move/routing/{c.pk}/up/")
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["a", "c", "b"]
    manager_client.post(f"{BASE}move/routing/{a.pk}/up/")  # already first: no change
    assert list(RoutingRule.objects.values_list("name", "position")) == [
        ("a", 10),
        ("c", 20),
        ("b", 30),
    ]
    assert manager_client.post(f"{BASE}move/other/{a.pk}/up/").status_code == 404
    assert manager_client.get(f"{BASE}move/routing/{a.pk}/up/").status_code == 405
    assert b.pk


def test_webhook_form_checks_scheme_and_secret_and_generates_one(manager_client):
    bad = manager_client.post(
        BASE + "webhooks/new/", {"name": "x", "url": "ftp://a.example/x", "secret": "short"}
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Use an http:// or https:// address." in html or "Enter a valid URL." in html
    assert "Use at least 16 characters." in html
    ok = manager_client.post(
        BASE + "webhooks/new/",
        {"name": "Slack", "url": "https://hooks.slack.com/services/T/B/X", "active": "on"},
    )
    assert ok.status_code == 302
    assert len(WebhookEndpoint.objects.get().secret) >= 32


def test_team_assignment_and_agent_capacity(manager_client):
    team = Team.objects.create(name="Chat")
    agent = UserFactory(role="agent", name="Aiko")
    team.members.add(agent)
    response = manager_client.post(
        f"{BASE}assignment/teams/{team.pk}/",
        {"active": "on", "mode": "least_loaded", "match_language": "on"},
    )
    assert response.status_code == 302
    assert TeamAssignment.objects.get(team=team).mode == "least_loaded"

    bad = manager_client.post(f"{BASE}assignment/agents/{agent.pk}/", {"cap_chat": "-1"})
    assert bad.status_code == 400
    response = manager_client.post(
        f"{BASE}assignment/agents/{agent.pk}/",
        {"cap_chat": "5", "cap_email": "", "languages": "ja, EN"},
    )
    assert response.status_code == 302
    assert AgentCapacity.objects.get(user=agent).max_open == 5
    assert AgentSkills.objects.get(user=agent).languages == ["ja", "en"]
    page = manager_client.get(BASE + "assignment/").content.decode()
    assert "Least loaded" in page and "Aiko" in page
    customer = UserFactory(role="customer")
    assert manager_client.get(f"{BASE}assignment/agents/{customer.pk}/").status_code == 404


def test_run_log_and_ticket_panel_show_what_happened(manager_client, receive):
    RoutingRule.objects.create(name="Prioritise", set_priority="urgent")
    ticket = receive().ticket
    log = manager_client.get(BASE + "log/", {"ticket": ticket.pk}).content.decode()
    assert "Prioritise" in log and f"#{ticket.pk}" in log
    bad = manager_client.get(BASE + "log/", {"ticket": "1 OR 1=1"})
    assert bad.status_code == 200 and "digits only" in bad.content.decode()
    page = ticket_page_html(manager_client, ticket.pk)
    assert "automation-panel" in page and "Prioritise" in page
    assert AutomationRun.objects.count() == 1
