"""PATCH /api/v1/tickets/{id}/: changes go through tickets.services.update_ticket only."""

from __future__ import annotations

import pytest

from tests.api_factories import TeamFactory, session_client, token_client
from tests.factories import TicketFactory, UserFactory
from tickets import services
from tickets.models import Tag

pytestmark = pytest.mark.django_db


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/"


def patch(client, ticket, body):
    return client.patch(url(ticket), body, format="json")


def test_patch_goes_through_the_service(agent, monkeypatch):
    calls: list[dict] = []
    real = services.update_ticket

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "update_ticket", spy)
    ticket = TicketFactory()
    response = patch(token_client(agent), ticket, {"priority": "urgent"})
    assert response.status_code == 200
    assert len(calls) == 1
    # Fields that were not sent are passed as "leave as is".
    assert calls[0]["priority"] == "urgent"
    assert calls[0]["status"] is None
    assert calls[0]["assignee"] is False
    assert calls[0]["team"] is False
    assert calls[0]["tags"] is None
    assert calls[0]["actor"] == agent


def test_patch_status_to_solved(agent):
    ticket = TicketFactory(status="open")
    response = patch(token_client(agent), ticket, {"status": "solved"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "solved"
    assert body["solved_at"] is not None
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert ticket.solved_at is not None


def test_patch_over_session(agent):
    ticket = TicketFactory()
    response = patch(session_client(agent), ticket, {"priority": "low"})
    assert response.status_code == 200
    assert response.json()["priority"] == "low"


def test_patch_assignee_team_and_tags(agent):
    other = UserFactory(role="agent")
    team = TeamFactory()
    ticket = TicketFactory()
    ticket.tags.set([Tag.objects.create(name="old")])
    response = patch(
        token_client(agent),
        ticket,
        {"assignee": other.pk, "team": team.pk, "tags": ["Refund", " billing ", ""]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["assignee"] == other.pk
    assert body["team"] == team.pk
    assert body["tags"] == ["billing", "refund"]  # normalised by the service, "old" replaced


def test_patch_null_clears_assignee_and_team(agent):
    ticket = TicketFactory(assignee=agent, team=TeamFactory())
    response = patch(token_client(agent), ticket, {"assignee": None, "team": None})
    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert response.json()["team"] is None
    ticket.refresh_from_db()
    assert ticket.assignee_id is None and ticket.team_id is None


def test_patch_empty_tag_list_removes_tags(agent):
    ticket = TicketFactory()
    ticket.tags.set([Tag.objects.create(name="vip")])
    response = patch(token_client(agent), ticket, {"tags": []})
    assert response.status_code == 200
    assert response.json()["tags"] == []


def test_assigning_to_a_customer_account_is_400_with_the_service_message(agent):
    ticket = TicketFactory()
    customer_user = UserFactory(role="customer")
    response = patch(token_client(agent), ticket, {"assignee": customer_user.pk})
    assert response.status_code == 400
    assert response.json() == {"detail": "Tickets can only be assigned to staff."}
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "bogus"}, "status"),
        ({"priority": "whenever"}, "priority"),
        ({"assignee": 999999}, "assignee"),
        ({"team": 999999}, "team"),
        ({"tags": "not-a-list"}, "tags"),
        ({"state": "solved"}, "state"),
    ],
)
def test_invalid_patch_is_400_with_field_errors(agent, body, field):
    ticket = TicketFactory(status="open", priority="normal")
    response = patch(token_client(agent), ticket, body)
    assert response.status_code == 400
    # The field names what is wrong; `detail` says it in one sentence (helpdesk.api).
    assert set(response.json()) == {field, "detail"}
    assert isinstance(response.json()[field], list)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("open", "normal")


def test_empty_patch_is_400(agent):
    response = patch(token_client(agent), TicketFactory(), {})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Nothing to change")


def test_malformed_json_is_400_json(agent):
    ticket = TicketFactory()
    response = token_client(agent).generic(
        "PATCH", url(ticket), '{"status": "solved",', content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "JSON parse error" in response.json()["detail"]


def test_patch_unknown_ticket_is_404(agent):
    response = token_client(agent).patch(
        "/api/v1/tickets/999999/", {"status": "open"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["detail"]


def test_customer_role_cannot_patch(db):
    ticket = TicketFactory(status="open")
    response = patch(token_client(UserFactory(role="customer")), ticket, {"status": "solved"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "open"
