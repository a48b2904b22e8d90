"""Changing ticket properties from the ticket page."""

import pytest

from tests.factories import TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


def post(client, ticket, **fields):
    data = {"status": "open", "priority": "high", "assignee": "", "team": "", "tags": "返品, vip"}
    data.update(fields)
    return client.post(f"/agent/tickets/{ticket.pk}/update/", data, follow=True)


def test_properties_are_saved(agent_client, agent):
    ticket = TicketFactory()

    post(agent_client, ticket, assignee=agent.pk)

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee) == ("high", agent)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vip", "返品"]


def test_an_unknown_assignee_is_refused_instead_of_unassigning(agent_client, agent):
    ticket = TicketFactory(assignee=agent)

    response = post(agent_client, ticket, assignee=999_999)

    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.priority == "normal"
    assert (
        "not valid" in response.content.decode() or "正しくありません" in response.content.decode()
    )


def test_a_customer_cannot_be_made_assignee(agent_client):
    ticket = TicketFactory()

    post(agent_client, ticket, assignee=UserFactory(role="customer").pk)

    ticket.refresh_from_db()
    assert ticket.assignee is None
