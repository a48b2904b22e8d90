"""Inbound mail is indexed for search by the batched task (tickets.search_queue), not inside the
ingest transaction: a new mail becomes searchable once the task ran, no mark is lost, and with
Redis down the ticket is indexed at once."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
import redis

from channels_in import services
from tests.factories import UserFactory
from tickets import search_queue, tasks
from tickets.models import Ticket
from tickets.search_index import tickets_search_refresh
from tickets.selectors import search_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_queue():
    search_queue.drain_search_queue()
    yield
    search_queue._redis().delete(*search_queue._keys())


def mail(message_id: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Sato Hanako <sato@example.jp>"
    message["To"] = "support@madoguchi.localhost"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def found(query: str) -> list[int]:
    agent = UserFactory(role="agent")
    return [ticket.pk for ticket in search_tickets(viewer=agent, query=query)]


def test_a_new_mail_becomes_searchable_after_the_refresh_task_runs(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(search_queue, "_schedule", lambda: queued.append(True))
    raw = mail("<queue-1@example.jp>", "返品について", "サイズが合わないので返品したいです。")
    with django_capture_on_commit_callbacks(execute=True):
        event, _created = services.record_raw_mail(raw, source="test")
    event.refresh_from_db()
    ticket = event.message.ticket

    # Committed and visible in the inbox, but the ingest did not tokenize it: the task will.
    assert queued == [True]
    assert Ticket.objects.filter(pk=ticket.pk, search_vector__isnull=True).exists()
    assert search_queue.pending_count() == 1
    assert found("返品") == []

    tasks.refresh_search_queue()

    assert found("返品") == [ticket.pk]
    assert found("sato@example.jp") == [ticket.pk]
    assert search_queue.pending_count() == 0


def test_a_burst_queues_one_task_for_all_its_mails(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(search_queue, "_schedule", lambda: queued.append(True))
    for n in range(3):
        raw = mail(f"<burst-{n}@example.jp>", f"Invoice {n}", f"parcel number {n} is missing")
        with django_capture_on_commit_callbacks(execute=True):
            services.record_raw_mail(raw, source="test")
    assert len(queued) == 1  # the later marks ride on the task already on its way
    assert search_queue.pending_count() == 3

    assert search_queue.drain_search_queue() == 3
    assert len(found("parcel missing")) == 3


def test_the_task_runs_at_once_where_celery_is_eager(django_capture_on_commit_callbacks):
    raw = mail("<eager@example.jp>", "Coupon", "my coupon code expired yesterday")
    with django_capture_on_commit_callbacks(execute=True):
        event, _created = services.record_raw_mail(raw, source="test")
    event.refresh_from_db()
    assert found("coupon expired") == [event.message.ticket_id]


def test_a_mark_made_while_its_batch_was_being_indexed_is_kept(monkeypatch):
    """The batch read the ticket before its newest message committed: that mark must stay for
    the next run, or the newest message would never be searchable."""
    ticket_id = 424242

    arrived = []

    def refresh_and_meanwhile_a_new_message_arrives(ids):
        if not arrived:  # committed while the batch was being tokenized
            arrived.append(True)
            search_queue._mark(ticket_id)
        return len(ids)

    monkeypatch.setattr(search_queue, "_schedule", lambda: None)
    search_queue._mark(ticket_id)
    monkeypatch.setattr(
        search_queue, "tickets_search_refresh", refresh_and_meanwhile_a_new_message_arrives
    )
    # The same run picks the newer mark up again (it scores after the batch) and clears it.
    assert search_queue.drain_search_queue() == 2
    assert search_queue.pending_count() == 0

    arrived.clear()
    search_queue._mark(ticket_id)
    monkeypatch.setattr(search_queue, "BATCH_SIZE", 1)
    calls = []

    def refresh_reading_the_old_text(ids):
        calls.append(ids)
        if len(calls) == 1:
            search_queue._mark(ticket_id)
        return len(ids)

    monkeypatch.setattr(search_queue, "tickets_search_refresh", refresh_reading_the_old_text)
    search_queue.drain_search_queue()
    assert calls == [[ticket_id], [ticket_id]]  # indexed again after the newer mark
    assert search_queue.pending_count() == 0
    monkeypatch.setattr(search_queue, "tickets_search_refresh", tickets_search_refresh)


def test_redis_down_indexes_inline_and_loses_nothing(
    django_capture_on_commit_callbacks, monkeypatch
):
    class Down:
        def eval(self, *args, **kwargs):
            raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(search_queue, "_redis", lambda: Down())
    raw = mail("<down@example.jp>", "配送状況", "荷物の追跡番号を教えてください。")
    with django_capture_on_commit_callbacks(execute=True):
        event, _created = services.record_raw_mail(raw, source="test")
    event.refresh_from_db()
    assert event.status == "processed"
    monkeypatch.undo()
    assert found("追跡番号") == [event.message.ticket_id]
