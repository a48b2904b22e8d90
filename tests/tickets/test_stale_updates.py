"""Two agents change one ticket: a change based on a stale copy never silently overwrites."""

from __future__ import annotations

import pytest

from tests.api_factories import TeamFactory, token_client
from tests.factories import TicketFactory, UserFactory
from tickets import services
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


def form(ticket: Ticket, **changes) -> dict:
    """What the ticket page posts: the values shown (also as base_*) with the agent's edits."""
    shown = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee_id or "",
        "team": ticket.team_id or "",
        "tags": ",".join(sorted(ticket.tags.values_list("name", flat=True))),
    }
    data = {**shown, **{f"base_{key}": value for key, value in shown.items()}}
    data.update(changes)
    return data


def test_a_colleagues_change_to_another_field_survives(agent_client, agent):
    ticket = TicketFactory(status=Status.OPEN)
    stale = form(ticket, priority="urgent")  # Aiko opened the page and picks a priority…
    colleague = UserFactory(role="agent", name="Ken")
    services.update_ticket(
        ticket=ticket, actor=colleague, status=Status.PENDING, assignee=colleague
    )

    agent_client.post(f"/agent/tickets/{ticket.pk}/update/", stale)

    ticket.refresh_from_db()
    # Her priority is saved; Ken's status and assignee are not overwritten by her stale form.
    assert (ticket.priority, ticket.status, ticket.assignee) == (
        "urgent",
        Status.PENDING,
        colleague,
    )


def test_the_same_field_changed_by_both_is_refused_and_says_what_changed(agent_client):
    ticket = TicketFactory(status=Status.OPEN)
    stale = form(ticket, status="solved", priority="high")
    colleague = UserFactory(role="agent", name="Ken")
    services.update_ticket(ticket=ticket, actor=colleague, status=Status.PENDING)

    answer = agent_client.post(
        f"/agent/tickets/{ticket.pk}/update/", stale, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.PENDING, "normal")  # nothing written
    page = answer.content.decode()
    assert "Someone changed this ticket while you were editing it." in page
    assert "status Pending" in page


def test_same_new_value_from_both_is_not_a_conflict(agent_client):
    ticket = TicketFactory(status=Status.OPEN)
    stale = form(ticket, status="solved")
    services.update_ticket(ticket=ticket, actor=UserFactory(), status=Status.SOLVED)
    agent_client.post(f"/agent/tickets/{ticket.pk}/update/", stale)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_tags_and_assignee_conflicts_name_the_new_values(agent):
    team = TeamFactory(name="Returns")
    ticket = TicketFactory()
    base = {"status": "new", "priority": "normal", "assignee": None, "team": None, "tags": []}
    ken = UserFactory(role="agent", name="Ken")
    services.update_ticket(ticket=ticket, actor=ken, assignee=ken, team=team, tags=["vip"])
    with pytest.raises(services.StaleTicketError) as error:
        services.update_ticket(
            ticket=ticket, actor=agent, assignee=agent, tags=["refund"], based_on=base
        )
    assert set(error.value.changed.values()) == {"Ken", "vip"}


def test_a_page_without_base_fields_still_saves(agent_client):
    ticket = TicketFactory()
    data = {"status": "open", "priority": "low", "assignee": "", "team": "", "tags": ""}
    agent_client.post(f"/agent/tickets/{ticket.pk}/update/", data)
    ticket.refresh_from_db()
    assert ticket.priority == "low"


def test_hostile_base_values_are_not_a_500(agent_client):
    ticket = TicketFactory()
    data = form(ticket, priority="low")
    data.update(base_assignee="1 OR 1=1", base_team="-5", base_tags="x" * 5000)
    answer = agent_client.post(f"/agent/tickets/{ticket.pk}/update/", data)
    assert answer.status_code == 302


def test_the_page_carries_what_it_showed(agent_client):
    ticket = TicketFactory(status=Status.PENDING)
    page = agent_client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert 'name="base_status" value="pending"' in page


def test_api_patch_with_a_stale_updated_at_is_409_with_the_current_ticket(agent):
    ticket = TicketFactory()
    api = token_client(agent)
    read = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    services.update_ticket(ticket=ticket, actor=UserFactory(), priority="urgent")

    answer = api.patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"priority": "low", "updated_at": read["updated_at"]},
        format="json",
    )

    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "stale" and body["detail"]
    assert body["current"]["priority"] == "urgent"
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_api_patch_with_the_current_updated_at_succeeds(agent):
    ticket = TicketFactory()
    api = token_client(agent)
    read = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    answer = api.patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"priority": "low", "updated_at": read["updated_at"]},
        format="json",
    )
    assert answer.status_code == 200 and answer.json()["priority"] == "low"
    # Without updated_at the API behaves as before (last write wins, for old scripts).
    assert (
        api.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "high"}, format="json").status_code
        == 200
    )


@pytest.mark.parametrize("value", ["yesterday", 12, None, ""])
def test_api_patch_with_a_malformed_updated_at_is_400(agent, value):
    ticket = TicketFactory()
    answer = token_client(agent).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"priority": "low", "updated_at": value}, format="json"
    )
    assert answer.status_code == 400


def test_api_patch_with_only_updated_at_is_400(agent):
    ticket = TicketFactory()
    read = token_client(agent).get(f"/api/v1/tickets/{ticket.pk}/").json()
    answer = token_client(agent).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"updated_at": read["updated_at"]}, format="json"
    )
    assert answer.status_code == 400
