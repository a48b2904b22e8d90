"""How a search finds its candidates (tickets.search_results): the newest tickets first, and the
whole GIN index when the newest hold less than a page; the rows on the page come from the same
row reader as the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import MessageFactory, TicketFactory
from tickets import search_results
from tickets.models import Status, Ticket
from tickets.search_index import ticket_search_refresh
from tickets.search_results import search_ids, search_rows, search_tickets

pytestmark = pytest.mark.django_db


def indexed(subject: str, body: str = "", *, age_days: float = 0, **fields) -> Ticket:
    ticket = TicketFactory(subject=subject, **fields)
    if body:
        MessageFactory(ticket=ticket, body_text=body)
    ticket_search_refresh(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(days=age_days))
    return ticket


@pytest.fixture
def small_window(monkeypatch):
    """A window of five tickets and pages of three, so a handful of tickets shows the strategy."""
    monkeypatch.setattr(search_results, "RECENT_WINDOW", 5)
    monkeypatch.setattr(search_results, "SEARCH_CANDIDATES", 4)
    return 3


def test_a_rare_old_ticket_is_found_past_the_window_of_newest_tickets(agent, small_window):
    old = indexed("請求書の再発行", age_days=400)
    for n in range(8):
        indexed(f"配送の質問 {n}", age_days=n / 10)

    with CaptureQueriesContext(connection) as captured:
        ids = search_ids(viewer=agent, query="請求書", limit=small_window)

    assert ids == [old.pk]
    assert len(captured) == 1  # the newest tickets, then the GIN index, in one statement


def test_a_common_word_is_answered_from_the_newest_tickets_alone(agent, small_window):
    newest = [indexed(f"refund question {n}", age_days=n / 10) for n in range(4)]
    indexed("refund question, a year ago", age_days=365)

    with CaptureQueriesContext(connection) as captured:
        ids = search_ids(viewer=agent, query="refund", limit=small_window)

    assert len(captured) == 1
    assert set(ids) <= {ticket.pk for ticket in newest} and len(ids) == small_window


def test_candidates_are_ranked_subject_before_body(agent, small_window):
    in_body = indexed("Question", "about a parcel", age_days=0)
    in_subject = indexed("Parcel lost", "see below", age_days=0.5)
    indexed("Nothing to see", age_days=0.2)

    assert search_ids(viewer=agent, query="parcel", limit=small_window)[:2] == [
        in_subject.pk,
        in_body.pk,
    ]


def test_operators_narrow_the_walk_and_the_fallback(agent, small_window):
    solved = indexed("返品について", age_days=300, status=Status.SOLVED)
    open_one = indexed("返品について", age_days=200, status=Status.OPEN)
    for n in range(6):
        indexed(f"配送 {n}", age_days=n / 10, status=Status.OPEN)

    assert search_ids(viewer=agent, query="status:open 返品", limit=small_window) == [open_one.pk]
    assert search_ids(viewer=agent, query="status:solved 返品", limit=small_window) == [solved.pk]


def test_page_rows_and_api_models_agree(agent):
    first = indexed("coupon expired", age_days=1)
    second = indexed("coupon code", "the coupon does not work, coupon", age_days=0)

    rows = search_rows(viewer=agent, query="coupon")
    models = search_tickets(viewer=agent, query="coupon")

    assert [row.pk for row in rows] == [ticket.pk for ticket in models]
    assert {row.pk for row in rows} == {first.pk, second.pk}
    assert rows[0].subject in {"coupon expired", "coupon code"}


def test_search_page_costs_the_queries_of_a_view_page(agent_client):
    for n in range(3):
        indexed(f"返品の相談 {n}")

    with CaptureQueriesContext(connection) as searched:
        html = agent_client.get("/agent/?q=返品").content.decode()
    with CaptureQueriesContext(connection) as viewed:
        agent_client.get("/agent/?view=open")

    assert html.count("data-ticket=") == 3
    # one statement finds and ranks the ids (no count of every match), one reads their rows
    assert len(searched) == len(viewed)


def test_a_common_word_past_the_window_is_answered_from_the_newest_ids(
    agent, small_window, monkeypatch
):
    """Step 2: the newest NEWER_IDS tickets by id answer from the GIN index before every match is
    read; their latest activity first. Tickets created before that range are not candidates
    then, even when their activity is more recent (what bounds the work)."""
    monkeypatch.setattr(search_results, "NEWER_IDS", 9)
    created_long_ago = [indexed(f"invoice copy {n}", age_days=10 + n) for n in range(3)]
    in_range = [indexed(f"invoice copy {n}", age_days=20 + n) for n in range(4)]
    for n in range(5):  # the newest activity, none of it about invoices
        indexed(f"配送 {n}", age_days=n / 10)

    with CaptureQueriesContext(connection) as captured:
        ids = search_ids(viewer=agent, query="invoice", limit=small_window)

    assert len(captured) == 1
    assert ids == [ticket.pk for ticket in in_range[:small_window]]
    assert not set(ids) & {ticket.pk for ticket in created_long_ago}


def test_fewer_than_a_page_among_the_newest_ids_still_finds_every_match(
    agent, small_window, monkeypatch
):
    monkeypatch.setattr(search_results, "NEWER_IDS", 6)
    old = [indexed(f"warranty claim {n}", age_days=300 + n) for n in range(3)]
    for n in range(6):
        indexed(f"配送 {n}", age_days=n / 10)

    assert search_ids(viewer=agent, query="warranty", limit=small_window) == [t.pk for t in old]
