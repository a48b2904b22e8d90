"""A busy chat's ticket is re-indexed for search at most once per window (livechat.search_later):
the first message of a quiet spell is searchable at once, the later ones with the window's
flush, and a flush that never ran is made up for by the sweep — no message stays unsearchable."""

from __future__ import annotations

import pytest
import redis

from livechat import search_later, tasks
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets import search_queue
from tickets.selectors import search_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_redis():
    client, queue = search_later._redis(), search_queue._redis()  # before any test breaks them
    recent, parked, scheduled = search_later._keys()

    def clean():
        client.delete(parked, scheduled, *client.keys(f"{recent}*"))
        queue.delete(*search_queue._keys())

    clean()
    yield
    clean()


@pytest.fixture
def flushes(monkeypatch):
    """Flush tasks queued (not run: Celery is eager in tests, so they would run at once)."""
    queued = []
    monkeypatch.setattr(search_later, "_queue_flush", lambda: queued.append(True))
    return queued


def found(query: str) -> list[int]:
    agent = UserFactory(role="agent")
    return [ticket.pk for ticket in search_tickets(viewer=agent, query=query)]


def chat_ticket(text: str):
    ticket = TicketFactory(channel="chat", subject="Live chat")
    MessageFactory(ticket=ticket, body_text=text)
    return ticket


def test_a_quiet_chat_is_indexed_at_once_and_a_busy_one_with_the_next_flush(
    django_capture_on_commit_callbacks, flushes
):
    ticket = chat_ticket("the parcel never arrived")
    with django_capture_on_commit_callbacks(execute=True):
        search_later.refresh_later([ticket.pk])
    assert found("parcel") == [ticket.pk]  # first in its window: straight to the search queue
    assert flushes == []

    MessageFactory(ticket=ticket, body_text="tracking number is ZX-99")
    with django_capture_on_commit_callbacks(execute=True):
        search_later.refresh_later([ticket.pk])
    MessageFactory(ticket=ticket, body_text="courier says returned")
    with django_capture_on_commit_callbacks(execute=True):
        search_later.refresh_later([ticket.pk, ticket.pk])
    # Indexed moments ago: parked, one flush queued for the window, not indexed yet.
    assert flushes == [True]
    assert found("courier") == []

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.flush_chat_search() == 1
    assert found("courier") == [ticket.pk]
    assert found("ZX-99") == [ticket.pk]


def test_the_sweep_flushes_what_a_lost_flush_task_left_parked(
    django_capture_on_commit_callbacks, flushes
):
    ticket = chat_ticket("first words")
    with django_capture_on_commit_callbacks(execute=True):
        search_later.refresh_later([ticket.pk])
    MessageFactory(ticket=ticket, body_text="refund the voucher please")
    with django_capture_on_commit_callbacks(execute=True):
        search_later.refresh_later([ticket.pk])
    assert flushes == [True]

    # The task is on its way (its flag is set): the sweep leaves the set to it.
    assert search_later.sweep() == 0
    # The broker lost it and its flag expired: the offer sweep flushes the set.
    search_later._redis().delete(search_later._keys()[2])
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_chat_offers()
    assert found("voucher") == [ticket.pk]
    assert search_later.sweep() == 0


def test_without_redis_the_ticket_is_indexed_at_once(
    django_capture_on_commit_callbacks, monkeypatch
):
    ticket = chat_ticket("the coupon code expired")
    broken = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(search_later, "_redis", lambda: broken)
    monkeypatch.setattr(search_queue, "_redis", lambda: broken)
    with django_capture_on_commit_callbacks(execute=True):
        search_later.refresh_later([ticket.pk])
    assert found("coupon") == [ticket.pk]
