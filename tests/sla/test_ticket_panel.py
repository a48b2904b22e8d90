"""The ticket page's SLA panel shows each target's state for that ticket."""

from __future__ import annotations

import pytest

from tests.sla.conftest import customer_writes
from tests.tickets.page import ticket_page_html
from tickets.services import reply

pytestmark = pytest.mark.django_db


def test_panel_lists_running_and_met_targets(agent_client, agent, policy, clock):
    ticket = customer_writes()
    clock.set(2026, 6, 10, 10, 20)
    reply(ticket=ticket, author=agent, body_text="確認します", status="open")
    html = ticket_page_html(agent_client, ticket.pk, HTTP_ACCEPT_LANGUAGE="en")
    panel = html.split('id="sla-panel-title"')[1].split("</section>")[0]
    assert "Policy: Standard" in panel
    assert "First reply" in panel and "Met" in panel and "20 of 60 business min" in panel
    assert "Resolution" in panel and "Running" in panel


def test_panel_says_when_no_policy_applies(agent_client, clock):
    ticket = customer_writes()
    html = ticket_page_html(agent_client, ticket.pk, HTTP_ACCEPT_LANGUAGE="en")
    assert "No SLA policy applies to this ticket." in html


def test_ticket_api_exposes_the_sla_fields(agent_client, policy, clock):
    ticket = customer_writes()
    data = agent_client.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert data["sla_target"] == "first_reply"
    assert data["sla_breached"] is False
    assert data["sla_due_at"].startswith("2026-06-10T")
