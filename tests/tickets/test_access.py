"""TICKET_VISIBILITY: one rule (tickets.access) decides for lists, counts, search, pages,
attachments, the API, bulk, merge, mentions and the agent socket — so they never disagree."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api_factories import AttachmentFactory, TeamFactory, token_client
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets import access, bulk, realtime, selectors, services
from tickets.consumers import AgentConsumer
from tickets.models import Notification, Status, Ticket
from tickets.search_index import tickets_search_refresh

ROLES = ("admin", "manager", "agent", "light_agent")


@pytest.fixture
def world(db, settings):
    """Two teams; an agent of each role in team A; tickets of A, of B, of no team, and one of B
    assigned to the agent."""
    settings.TICKET_VISIBILITY = "team"
    team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B")
    users = {role: UserFactory(role=role) for role in ROLES}
    for user in users.values():
        user.teams.add(team_a)
    tickets = {
        "team_a": TicketFactory(team=team_a, subject="返品 A"),
        "team_b": TicketFactory(team=team_b, subject="返品 B"),
        "no_team": TicketFactory(team=None, subject="返品 none"),
    }
    tickets["b_mine_agent"] = TicketFactory(team=team_b, assignee=users["agent"], subject="返品 m")
    tickets_search_refresh([ticket.pk for ticket in tickets.values()])
    return users, tickets


# Which tickets each role sees with TICKET_VISIBILITY = "team".
EXPECTED = {
    "admin": {"team_a", "team_b", "no_team", "b_mine_agent"},
    "manager": {"team_a", "team_b", "no_team", "b_mine_agent"},
    "agent": {"team_a", "no_team", "b_mine_agent"},
    "light_agent": {"team_a", "no_team"},
}


def _names(tickets: dict, ids) -> set[str]:
    by_id = {ticket.pk: name for name, ticket in tickets.items()}
    return {by_id[i] for i in ids}


@pytest.mark.parametrize("role", ROLES)
def test_the_matrix_for_every_read(world, role):
    users, tickets = world
    user = users[role]
    expected = EXPECTED[role]

    assert _names(tickets, access.visible_tickets(user).values_list("pk", flat=True)) == expected
    assert {n for n, t in tickets.items() if access.can_see(user, t)} == expected
    assert {n for n, t in tickets.items() if access.can_see_id(user, t.pk)} == expected
    listed = selectors.inbox_tickets(viewer=user, view="all")
    assert _names(tickets, [t.pk for t in listed]) == expected
    assert selectors.inbox_counts(viewer=user)["all"] == len(expected)
    found = selectors.search_tickets(viewer=user, query="返品")
    assert _names(tickets, [t.pk for t in found]) == expected
    api = token_client(user)
    ids = [row["id"] for row in api.get("/api/v1/tickets/").json()["results"]]
    assert _names(tickets, ids) == expected
    searched = [row["id"] for row in api.get("/api/v1/tickets/?q=返品").json()["results"]]
    assert _names(tickets, searched) == expected

    for name, ticket in tickets.items():
        wanted = 200 if name in expected else 404
        assert api.get(f"/api/v1/tickets/{ticket.pk}/").status_code == wanted, name
        assert api.get(f"/api/v1/tickets/{ticket.pk}/messages/").status_code == wanted, name
        patched = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "high"}, format="json")
        assert patched.status_code == wanted, name


def test_default_all_changes_nothing_for_small_teams(db):
    agent = UserFactory(role="light_agent")
    other = TicketFactory(team=TeamFactory(name="Elsewhere"))
    assert access.sees_all(agent)
    assert access.can_see(agent, other)
    assert token_client(agent).get(f"/api/v1/tickets/{other.pk}/").status_code == 200


def test_customers_and_anonymous_see_nothing(world):
    _, tickets = world
    customer = UserFactory(role="customer")
    assert not access.visible_tickets(customer).exists()
    assert not access.can_see(customer, tickets["no_team"])


def test_pages_answer_404_for_another_teams_ticket(world):
    users, tickets = world
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users["agent"])
    hidden = tickets["team_b"]
    for url in (
        f"/agent/tickets/{hidden.pk}/",
        f"/agent/tickets/{hidden.pk}/merge/",
        f"/agent/tickets/{hidden.pk}/split/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/agent/tickets/{hidden.pk}/update/", {}).status_code == 404
    assert client.post(f"/agent/tickets/{hidden.pk}/reply/", {"body": "x"}).status_code == 404
    assert client.post(f"/agent/tickets/{hidden.pk}/spam/", {}).status_code == 404
    assert client.get(f"/agent/tickets/{tickets['team_a'].pk}/").status_code == 200
    # The inbox lists only what the agent may open.
    page = client.get("/agent/?view=all").content.decode()
    assert "返品 B" not in page and "返品 A" in page


def test_attachments_of_hidden_tickets_are_404_on_pages_and_api(world):
    users, tickets = world
    hidden = AttachmentFactory(message=MessageFactory(ticket=tickets["team_b"]))
    shown = AttachmentFactory(message=MessageFactory(ticket=tickets["team_a"]))
    client = Client()
    client.force_login(users["agent"])
    assert client.get(f"/agent/attachments/{hidden.pk}/").status_code == 404
    assert client.get(f"/agent/attachments/{shown.pk}/").status_code == 200
    api = token_client(users["agent"])
    assert api.get(f"/api/v1/attachments/{hidden.pk}/").status_code == 404
    assert (
        token_client(users["manager"]).get(f"/api/v1/attachments/{hidden.pk}/").status_code == 200
    )


def test_bulk_and_merge_refuse_hidden_tickets_and_change_nothing(world):
    users, tickets = world
    agent = users["agent"]
    with pytest.raises(ValidationError):
        bulk.bulk_update_tickets(
            ticket_ids=[tickets["team_a"].pk, tickets["team_b"].pk],
            actor=agent,
            status=Status.SOLVED,
        )
    assert not Ticket.objects.filter(status=Status.SOLVED).exists()
    with pytest.raises(ValidationError):
        bulk.merge_tickets(source=tickets["team_a"], target=tickets["team_b"], actor=agent)
    with pytest.raises(ValidationError):
        bulk.mark_spam(ticket_ids=[tickets["team_b"].pk], actor=agent)
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()
    # The merge page cannot be used to probe another team's ticket either.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent)
    answer = client.post(
        f"/agent/tickets/{tickets['team_a'].pk}/merge/", {"target": tickets["team_b"].pk}
    )
    assert answer.status_code == 400
    assert "There is no ticket with that number." in answer.content.decode()


def test_a_mention_of_someone_who_cannot_see_the_ticket_notifies_nobody(world):
    users, tickets = world
    outsider = UserFactory(role="agent", email="kenji@example.com")
    services.reply(
        ticket=tickets["team_a"], author=users["manager"], body_text="@kenji see", internal=True
    )
    assert not Notification.objects.filter(user=outsider).exists()
    services.reply(
        ticket=tickets["team_a"],
        author=users["manager"],
        body_text=f"@{users['agent'].email}",
        internal=True,
    )
    assert Notification.objects.filter(user=users["agent"]).count() == 1


def test_the_inbox_stays_within_its_query_budget_in_team_mode(world, django_assert_max_num_queries):
    users, _ = world
    for _ in range(20):
        TicketFactory(team=users["agent"].teams.first())
    # Views, page, tags, counts, and the "All" count (remembered for a minute in production;
    # tests count it every time).
    with django_assert_max_num_queries(5):
        box = selectors.inbox_for(viewer=users["agent"], view="all")
        selectors.inbox_tickets(viewer=users["agent"], inbox=box)
        selectors.inbox_counts(viewer=users["agent"], inbox=box)


def test_can_see_in_memory_needs_no_query_for_the_common_cases(world):
    users, tickets = world
    with CaptureQueriesContext(connection) as queries:
        assert access.can_see(users["agent"], tickets["no_team"])
        assert access.can_see(users["agent"], tickets["b_mine_agent"])
        assert access.can_see(users["manager"], tickets["team_b"])
    assert len(queries) == 0


@pytest.mark.django_db(transaction=True)
def test_socket_forwards_only_events_of_visible_tickets(settings):
    settings.TICKET_VISIBILITY = "team"
    team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B")
    agent = UserFactory(role="agent")
    agent.teams.add(team_a)
    shown, hidden = TicketFactory(team=team_a), TicketFactory(team=team_b)

    @async_to_sync
    async def scenario():
        communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
        communicator.scope["user"] = agent
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "hello"
        await sync_to_async(realtime.publish)("ticket.updated", ticket=hidden.pk, status="open")
        await sync_to_async(realtime.publish)("ticket.updated", ticket=shown.pk, status="open")
        first = await communicator.receive_json_from(timeout=5)
        # Presence on a hidden ticket is refused like an unknown one.
        await communicator.send_json_to(
            {"type": "presence", "ticket": hidden.pk, "state": "viewing"}
        )
        refused = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return first, refused

    first, refused = scenario()
    assert first["ticket"] == shown.pk  # the hidden ticket's event never arrived
    assert refused == {"v": 1, "type": "error", "error": "no such ticket"}


def test_a_misspelt_visibility_setting_stops_the_start(settings):
    settings.TICKET_VISIBILITY = "teams"
    assert [error.id for error in access.check_visibility_setting()] == ["tickets.E001"]
    settings.TICKET_VISIBILITY = "team"
    assert access.check_visibility_setting() == []
