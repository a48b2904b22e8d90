"""Inbox pages: keyset cursors walk a view in its order without gaps, repeats or OFFSET."""

import base64
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import TicketFactory
from tickets import paging, selectors
from tickets.models import Priority, SavedView, Status, Ticket, ViewSort

pytestmark = pytest.mark.django_db


def _tickets(count: int, **fields) -> list[Ticket]:
    """Tickets with distinct and some equal update times (equal ones are ordered by id)."""
    now = timezone.now()
    made = [TicketFactory(status=Status.OPEN, **fields) for _ in range(count)]
    for number, ticket in enumerate(made):
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now - timedelta(minutes=number // 3))
    return made


def _walk(viewer, inbox, limit):
    pages, after = [], ""
    while True:
        page = selectors.inbox_page(viewer=viewer, inbox=inbox, after=after, limit=limit)
        pages.append([ticket.pk for ticket in page.tickets])
        if not page.next_cursor:
            return pages
        after = page.next_cursor


def test_pages_cover_the_view_once_in_order(agent):
    _tickets(23)
    inbox = selectors.inbox_for(viewer=agent, view="open")
    pages = _walk(agent, inbox, limit=10)

    assert [len(page) for page in pages] == [10, 10, 3]
    walked = [pk for page in pages for pk in page]
    expected = list(
        Ticket.objects.filter(status__in=["new", "open"])
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)
    )
    assert walked == expected


@pytest.mark.parametrize(
    "sort", [ViewSort.PRIORITY, ViewSort.SLA, ViewSort.CREATED_ASC, ViewSort.UPDATED_ASC]
)
def test_every_sort_of_a_saved_view_pages_without_gaps_or_repeats(agent, sort):
    made = _tickets(17)
    priorities = [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]
    for number, ticket in enumerate(made):
        # Every third ticket has no SLA due time: NULLs come last in the SLA order.
        due = None if number % 3 == 0 else timezone.now() + timedelta(hours=number % 4)
        Ticket.objects.filter(pk=ticket.pk).update(priority=priorities[number % 4], sla_due_at=due)
    view = SavedView.objects.create(owner=agent, name="all open", filters={}, sort=sort)
    inbox = selectors.inbox_for(viewer=agent, view=str(view.pk))

    walked = [pk for page in _walk(agent, inbox, limit=4) for pk in page]
    first_page = selectors.inbox_page(viewer=agent, inbox=inbox, limit=100).tickets

    assert walked == [ticket.pk for ticket in first_page]
    assert len(set(walked)) == 17


def test_a_later_page_costs_the_same_queries_as_the_first(agent):
    _tickets(30)
    inbox = selectors.inbox_for(viewer=agent, view="open")
    first = selectors.inbox_page(viewer=agent, inbox=inbox, limit=5)
    with CaptureQueriesContext(connection) as on_first:
        selectors.inbox_page(viewer=agent, inbox=inbox, limit=5)
    with CaptureQueriesContext(connection) as on_second:
        selectors.inbox_page(viewer=agent, inbox=inbox, after=first.next_cursor, limit=5)

    assert len(on_second) == len(on_first) <= 2
    assert "OFFSET" not in on_second.captured_queries[0]["sql"]


def test_the_inbox_page_links_to_the_next_page_and_back(agent_client):
    _tickets(55)
    first = agent_client.get("/agent/?view=open", HTTP_ACCEPT_LANGUAGE="en")
    cursor = first.context["next_cursor"]
    assert cursor and b"Next page" in first.content and b"First page" not in first.content

    second = agent_client.get(f"/agent/?view=open&after={cursor}", HTTP_ACCEPT_LANGUAGE="en")
    assert second.status_code == 200
    assert len(second.context["rows"]) == 5
    assert b"First page" in second.content and b"Next page" not in second.content
    shown_first = {row.ticket.pk for row in first.context["rows"]}
    assert not shown_first & {row.ticket.pk for row in second.context["rows"]}


def _encoded(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        _encoded({"a": 1}),
        _encoded(["2026-01-01T00:00:00+00:00"]),  # the default order has two keys
        _encoded(["yesterday", 5]),
        _encoded(["2026-01-01T00:00:00+00:00", "5"]),
        _encoded(["2026-01-01T00:00:00+00:00", True]),
        "A" * 400,
    ],
)
def test_a_bad_cursor_is_a_clear_400_not_a_crash(agent_client, cursor):
    response = agent_client.get(f"/agent/?view=open&after={cursor}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert b"page link is not valid" in response.content


def test_a_cursor_round_trips_every_key_kind():
    keys = paging.sort_keys(ViewSort.SLA)
    ticket = TicketFactory()
    ticket.sla_due_at = None
    values = paging.parse_cursor(paging.cursor_for(ticket, keys), keys)

    assert values == [None, ticket.updated_at, ticket.pk]


def test_view_counts_come_in_one_query_and_match_the_lists(agent):
    _tickets(4)
    TicketFactory(status=Status.PENDING)
    TicketFactory(status=Status.OPEN, assignee=agent)
    TicketFactory(status=Status.OPEN, channel="chat")
    TicketFactory(status=Status.SOLVED, solved_at=timezone.now())
    inbox = selectors.inbox_for(viewer=agent, view=None)

    with CaptureQueriesContext(connection) as captured:
        counts = selectors.inbox_counts(viewer=agent, inbox=inbox)

    assert len(captured) == 2  # the working views in one round trip, then "All"
    assert counts == {
        "mine": 1,
        "unassigned": 6,
        "open": 6,
        "pending": 1,
        "solved": 1,
        "chats": 1,
        "all": 8,
    }


def test_the_all_count_is_remembered_for_a_while(agent, settings):
    from django.core.cache import cache

    settings.INBOX_ALL_COUNT_SECONDS = 60
    cache.delete("inbox-count:all:everyone")
    _tickets(2)
    inbox = selectors.inbox_for(viewer=agent, view=None)
    assert selectors.inbox_counts(viewer=agent, inbox=inbox)["all"] == 2

    TicketFactory(status=Status.OPEN)
    with CaptureQueriesContext(connection) as captured:
        counts = selectors.inbox_counts(viewer=agent, inbox=inbox)

    assert len(captured) == 1
    assert counts["open"] == 3  # the views agents work from stay exact
    assert counts["all"] == 2
    cache.delete("inbox-count:all:everyone")
