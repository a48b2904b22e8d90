"""The agent inbox page: views, counts, previews, and a bounded number of queries."""

import pytest
from django.utils import timezone

from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets.models import Status

pytestmark = pytest.mark.django_db


def test_inbox_lists_open_tickets_with_the_latest_public_message_as_preview(agent_client):
    ticket = TicketFactory(subject="注文した商品が届きません")
    MessageFactory(ticket=ticket, body_text="最初のメッセージ")
    MessageFactory(ticket=ticket, body_text="二通目：まだ届きません")
    MessageFactory(
        ticket=ticket, body_text="社内メモは見せない", internal=True, author_kind="agent"
    )

    page = agent_client.get("/agent/").content.decode()

    assert "注文した商品が届きません" in page
    assert "二通目：まだ届きません" in page
    assert "社内メモは見せない" not in page


def test_views_filter_and_count(agent_client, agent):
    TicketFactory(subject="mine", assignee=agent, status=Status.OPEN)
    TicketFactory(subject="nobody's", status=Status.NEW)
    TicketFactory(subject="waiting", status=Status.PENDING)
    TicketFactory(subject="done", status=Status.SOLVED, solved_at=timezone.now())

    mine = agent_client.get("/agent/?view=mine")
    solved = agent_client.get("/agent/?view=solved")

    assert [t.subject for t in mine.context["tickets"]] == ["mine"]
    assert [t.subject for t in solved.context["tickets"]] == ["done"]
    assert mine.context["counts"] == {
        "mine": 1,
        "unassigned": 2,
        "open": 2,
        "pending": 1,
        "solved": 1,
        "chats": 0,
        "all": 4,
    }


def test_the_list_partial_is_served_to_htmx(agent_client):
    TicketFactory(subject="live row")

    response = agent_client.get("/agent/?view=open", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "live row" in body
    assert "<html" not in body


def test_query_count_does_not_grow_with_the_number_of_tickets(agent_client):
    def queries_for_page():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get("/agent/?view=all").status_code == 200
        return len(captured)

    TicketFactory()
    few = queries_for_page()
    for n in range(30):
        MessageFactory(ticket=TicketFactory(assignee=UserFactory(), subject=f"t{n}"))
    many = queries_for_page()

    assert many == few


def test_customers_are_refused(client):
    client.force_login(UserFactory(role="customer"))

    assert client.get("/agent/").status_code == 403
