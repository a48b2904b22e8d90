"""The ticket sidebar reads the customer card, the other tickets and every panel's data in one
statement (tickets.panels.read_panels): what each panel shows, for whom, and that a ticket full
of panel data costs no more queries than an empty one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automations.models import AutomationRun
from customers.models import Identity, Order, OrderItem, TicketOrder
from feedback.models import FeedbackItem, FeedbackLink, FollowUp
from sla.models import SlaClock, TicketSla
from tests.api_factories import TeamFactory
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets.models import TicketFollower

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _sidebar(client, ticket) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/agent/tickets/{ticket.pk}/sidebar/", **EN)
    assert response.status_code == 200
    return response.content.decode(), len(captured)


def _everything(ticket, agent) -> None:
    """One row for every panel: follower, follow-up, feedback link, SLA clock, rule run and
    the order the ticket is about."""
    now = timezone.now()
    cc = Identity.objects.create(
        customer=ticket.customer, kind="email", handle="boss@example.net", display_name="Boss"
    )
    TicketFollower.objects.create(ticket=ticket, identity=cc, source="agent", added_by=agent)
    FollowUp.objects.create(
        ticket=ticket, kind="remind", created_by=agent, due_at=now + timedelta(days=2), nonce="n"
    )
    item = FeedbackItem.objects.create(title="Gift <wrapping>", created_by=agent)
    FeedbackLink.objects.create(item=item, ticket=ticket, customer=ticket.customer)
    TicketSla.objects.create(ticket=ticket, channel="email", created_at=now)
    SlaClock.objects.create(
        ticket=ticket, metric="first_reply", target_minutes=60, started_at=now, due_at=now
    )
    AutomationRun.objects.create(
        ticket=ticket, kind="automation", name="Escalate VIPs", outcome="applied"
    )
    order = Order.objects.create(
        customer=ticket.customer,
        source="manual",
        external_id="A-1",
        number="#1001",
        ordered_at=now,
        total=Decimal("1200"),
        currency="JPY",
    )
    OrderItem.objects.create(order=order, name="Kettle", quantity=1)
    TicketOrder.objects.create(ticket_id=ticket.pk, order=order, linked_by=agent)


def test_every_panel_shows_its_rows_for_the_same_queries_as_an_empty_ticket(client):
    agent = UserFactory(role="admin", name="Aiko")
    empty = MessageFactory().ticket
    full = MessageFactory().ticket
    _everything(full, agent)
    client.force_login(agent)
    _sidebar(client, empty), _sidebar(client, full)  # the access records are written once

    empty_html, empty_queries = _sidebar(client, empty)
    html, queries = _sidebar(client, full)

    assert queries == empty_queries <= 5
    assert "boss@example.net" in html and "Added by Aiko" in html  # followers
    assert 'data-followup-status="scheduled"' in html  # follow-ups
    assert "Gift &lt;wrapping&gt;" in html  # the linked feedback item, escaped
    assert 'class="sla-clock' in html and "Breached" in html  # SLA, due now
    assert "Escalate VIPs" in html  # automations
    assert "#1001" in html and "order-link__current" in html  # the order it is about
    assert 'class="order-link__current"' not in empty_html and "Escalate" not in empty_html


def test_a_team_agent_sees_only_the_other_tickets_they_may_open(client, settings):
    settings.TICKET_VISIBILITY = "team"
    mine, theirs = TeamFactory(), TeamFactory()
    agent = UserFactory(role="agent")
    agent.teams.add(mine)
    ticket = TicketFactory(team=mine, subject="Open one")
    customer, identity = ticket.customer, ticket.identity
    TicketFactory(customer=customer, identity=identity, team=mine, subject="Same team")
    TicketFactory(customer=customer, identity=identity, team=None, subject="No team")
    TicketFactory(customer=customer, identity=identity, team=theirs, subject="Hidden one")
    TicketFactory(
        customer=customer, identity=identity, team=theirs, assignee=agent, subject="Assigned"
    )
    client.force_login(agent)

    html, _queries = _sidebar(client, ticket)

    assert "Same team" in html and "No team" in html and "Assigned" in html
    assert "Hidden one" not in html and "Open one" not in html.split("other-tickets")[1]


def test_a_light_agent_sees_followers_but_may_not_change_them(client):
    agent = UserFactory(role="admin")
    ticket = MessageFactory().ticket
    _everything(ticket, agent)
    client.force_login(UserFactory(role="light_agent"))

    html, _queries = _sidebar(client, ticket)

    assert 'data-followers="1"' in html
    assert f"/followers/ticket/{ticket.pk}/" not in html  # neither add nor remove forms
