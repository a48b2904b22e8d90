"""GET /api/v1/tickets/ and /api/v1/tickets/{id}/: auth, fields, filters, pages, queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from tests.api_factories import TeamFactory, session_client, token_client
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory
from tickets.models import Tag, Ticket

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tickets/"
TICKET_FIELDS = {
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "customer",
    "assignee",
    "team",
    "tags",
    "created_at",
    "updated_at",
    "sla_target",
    "sla_due_at",
    "sla_breached",
    "first_replied_at",
    "solved_at",
}


def detail(ticket: Ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/"


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


# --- auth -------------------------------------------------------------------------------------


def test_token_auth_lists_tickets(agent):
    ticket = TicketFactory()
    response = token_client(agent).get(LIST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert ids(response) == [ticket.pk]


def test_session_auth_lists_tickets(agent):
    ticket = TicketFactory()
    response = session_client(agent).get(LIST)
    assert response.status_code == 200
    assert ids(response) == [ticket.pk]


def test_no_credentials_is_401_json():
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"]


def test_wrong_token_is_401_json():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = client.get(LIST)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_token_of_deactivated_staff_is_401(agent):
    client = token_client(agent)
    agent.is_active = False
    agent.save()
    assert client.get(LIST).status_code == 401


@pytest.mark.parametrize("make_client", [token_client, session_client])
def test_customer_role_is_403(make_client):
    ticket = TicketFactory()
    customer_user = UserFactory(role="customer")
    client = make_client(customer_user)
    for response in (client.get(LIST), client.get(detail(ticket))):
        assert response.status_code == 403
        assert response.json()["detail"]


def test_light_agent_can_read(db):
    ticket = TicketFactory()
    response = token_client(UserFactory(role="light_agent")).get(detail(ticket))
    assert response.status_code == 200


# --- representation ---------------------------------------------------------------------------


def test_detail_has_the_contract_fields(agent):
    team = TeamFactory()
    ticket = TicketFactory(assignee=agent, team=team, priority="high", status="open")
    ticket.tags.set([Tag.objects.create(name="refund"), Tag.objects.create(name="billing")])

    response = token_client(agent).get(detail(ticket))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == TICKET_FIELDS
    assert body["id"] == ticket.pk
    assert body["subject"] == ticket.subject
    assert body["status"] == "open"
    assert body["priority"] == "high"
    assert body["channel"] == "email"
    assert body["customer"] == ticket.customer_id
    assert body["assignee"] == agent.pk
    assert body["team"] == team.pk
    assert body["tags"] == ["billing", "refund"]
    assert body["first_replied_at"] is None
    assert body["solved_at"] is None


def test_unassigned_ticket_has_null_assignee_and_team(agent):
    body = token_client(agent).get(detail(TicketFactory())).json()
    assert body["assignee"] is None
    assert body["team"] is None
    assert body["tags"] == []


def test_times_are_utc_whatever_the_viewer_zone(agent):
    agent.time_zone = "Asia/Tokyo"
    agent.save()
    ticket = TicketFactory()
    body = session_client(agent).get(detail(ticket)).json()
    assert body["created_at"].endswith("Z")
    parsed = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert parsed == ticket.created_at


def test_list_items_match_detail(agent):
    ticket = TicketFactory()
    client = token_client(agent)
    assert client.get(LIST).json()["results"] == [client.get(detail(ticket)).json()]


def test_unknown_ticket_is_404_json(agent):
    response = token_client(agent).get("/api/v1/tickets/999999/")
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/tickets/abc/", "/api/v1/nothing-here/"])
def test_unknown_api_paths_are_404_json(agent, path):
    response = token_client(agent).get(path)
    assert response.status_code == 404
    assert response.json()["detail"] == "Unknown API path."


def test_missing_trailing_slash_gets_a_hint(agent):
    response = token_client(agent).get("/api/v1/tickets")
    assert response.status_code == 404
    assert "/api/v1/tickets/" in response.json()["detail"]


def test_method_not_allowed_is_json(agent):
    response = token_client(agent).delete(detail(TicketFactory()))
    assert response.status_code == 405
    assert response.json()["detail"]


# --- filters ------------------------------------------------------------------------------


def test_filter_by_status_and_channel(agent):
    open_mail = TicketFactory(status="open", channel="email")
    TicketFactory(status="solved", channel="email")
    open_chat = TicketFactory(status="open", channel="chat")
    client = token_client(agent)
    assert set(ids(client.get(LIST, {"status": "open"}))) == {open_mail.pk, open_chat.pk}
    assert ids(client.get(LIST, {"status": "open", "channel": "chat"})) == [open_chat.pk]


def test_filter_by_assignee_me_none_and_id(agent):
    other = UserFactory()
    mine = TicketFactory(assignee=agent)
    theirs = TicketFactory(assignee=other)
    nobodys = TicketFactory()
    client = token_client(agent)
    assert ids(client.get(LIST, {"assignee": "me"})) == [mine.pk]
    assert ids(client.get(LIST, {"assignee": "none"})) == [nobodys.pk]
    assert ids(client.get(LIST, {"assignee": str(other.pk)})) == [theirs.pk]


def test_filter_by_customer(agent):
    customer = CustomerFactory()
    theirs = TicketFactory(identity=IdentityFactory(customer=customer))
    TicketFactory()
    assert ids(token_client(agent).get(LIST, {"customer": customer.pk})) == [theirs.pk]


def test_filter_by_updated_after(agent):
    old = TicketFactory()
    recent = TicketFactory()
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    Ticket.objects.filter(pk=old.pk).update(updated_at=long_ago)
    client = token_client(agent)
    cutoff = (long_ago + timedelta(days=1)).isoformat()
    assert ids(client.get(LIST, {"updated_after": cutoff})) == [recent.pk]
    # A time without an offset is read as UTC.
    assert ids(client.get(LIST, {"updated_after": "2020-01-01T00:00:00"})) == [recent.pk]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "bogus"}, "status"),
        ({"channel": "pigeon"}, "channel"),
        ({"assignee": "someone"}, "assignee"),
        # "¹".isdigit() is true but int("¹") raises: digits are checked with isdecimal().
        ({"assignee": "¹"}, "assignee"),
        ({"customer": "x"}, "customer"),
        ({"updated_after": "yesterday"}, "updated_after"),
    ],
)
def test_invalid_filters_are_400_with_field_errors(agent, params, field):
    response = token_client(agent).get(LIST, params)
    assert response.status_code == 400
    # The field names what is wrong; `detail` says it in one sentence (helpdesk.api).
    assert set(response.json()) == {field, "detail"}
    assert response.json()[field]


# --- pages and queries ------------------------------------------------------------------------


def test_cursor_pages_cover_every_ticket_once(agent):
    tickets = TicketFactory.create_batch(5)
    client = token_client(agent)
    seen: list[int] = []
    response = client.get(LIST, {"page_size": 2})
    while True:
        assert response.status_code == 200
        seen.extend(ids(response))
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])
    assert sorted(seen) == sorted(t.pk for t in tickets)
    # Most recent activity first, as in the inbox.
    assert seen == [t.pk for t in Ticket.objects.order_by("-updated_at", "-id")]


def test_invalid_cursor_is_400_json(agent):
    # A cursor is input like any other parameter: a bad one is the client's 400 (helpdesk.api).
    response = token_client(agent).get(LIST, {"cursor": "garbage"})
    assert response.status_code == 400
    assert response.json()["detail"]


def _fill_tickets(count: int, agent) -> None:
    tags = [Tag.objects.create(name=f"tag-{count}-{i}") for i in range(2)]
    team = TeamFactory()
    for ticket in TicketFactory.create_batch(count, assignee=agent, team=team):
        ticket.tags.set(tags)


def test_list_query_count_does_not_grow(agent, django_assert_max_num_queries):
    client = token_client(agent)
    _fill_tickets(1, agent)
    with django_assert_max_num_queries(3) as one:
        assert len(ids(client.get(LIST))) == 1
    _fill_tickets(29, agent)
    with django_assert_max_num_queries(3) as thirty:
        assert len(ids(client.get(LIST))) == 30
    assert len(one.captured_queries) == len(thirty.captured_queries)
