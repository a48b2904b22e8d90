"""A fetched batch of mail is stored with one INSERT and filed in one transaction — and one
bad mail in it neither blocks nor loses the others."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from channels_in import inbound_batch
from channels_in.models import InboundEvent, InboundStatus
from tickets import receive as receive_module
from tickets import receive_bulk
from tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db


def mail(n: int, *, sender: str = "", subject: str = "", headers=None, attach=b"") -> bytes:
    message = EmailMessage()
    message["From"] = sender or f"Customer {n} <c{n}@example.jp>"
    message["To"] = "support@madoguchi.localhost"
    message["Subject"] = subject or f"注文 {n} について"
    message["Message-ID"] = f"<batch-{n}-{uuid.uuid4().hex[:6]}@example.jp>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(f"注文 {n} がまだ届きません。")
    if attach:
        message.add_attachment(attach, maintype="application", subtype="pdf", filename="見積.pdf")
    return message.as_bytes()


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    """Store raw mails as the poller does (its transaction) and run the queued batch task."""

    def ingest(raws: list[bytes]) -> list[bool]:
        with django_capture_on_commit_callbacks(execute=True):
            return inbound_batch.record_raw_mails(raws, source="test")

    return ingest


def events_by_key() -> dict[str, InboundEvent]:
    return {event.idempotency_key: event for event in InboundEvent.objects.all()}


def test_a_batch_files_every_mail_once_with_duplicates_recognised(ingest):
    first, second = mail(1), mail(2)
    assert ingest([first]) == [True]

    # The same mail again (fetched twice), and twice within one batch: one event each.
    created = ingest([first, second, second, mail(3, attach=b"%PDF-1.4 " + b"x" * 20000)])

    assert created == [False, True, False, True]
    assert InboundEvent.objects.count() == 3
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {InboundStatus.PROCESSED}
    assert Ticket.objects.count() == Message.objects.count() == 3
    assert all(event.message_id for event in InboundEvent.objects.all())
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.size) == ("見積.pdf", 20009)
    assert attachment.file.read() == b"%PDF-1.4 " + b"x" * 20000


def test_replies_in_the_same_batch_thread_onto_the_ticket_just_opened(ingest):
    opening = mail(1)
    opening_id = opening.split(b"Message-ID: ")[1].split(b"\n")[0].decode().strip()
    ingest([opening, mail(1, subject="Re: 注文", headers={"In-Reply-To": opening_id})])

    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 2


def test_one_broken_or_held_mail_does_not_stop_the_batch(ingest):
    auto_reply = mail(7, headers={"Auto-Submitted": "auto-replied"})
    no_sender = b"Subject: nobody\r\nMessage-ID: <nobody@x>\r\n\r\nwho sent this?\r\n"

    with translation.override("en"):
        ingest([mail(1), no_sender, auto_reply, mail(2)])

    outcome = {event.idempotency_key: event for event in InboundEvent.objects.all()}
    failed = outcome["<nobody@x>"]
    assert failed.status == InboundStatus.FAILED and "no sender address" in failed.error
    assert failed.next_attempt_at is None  # malformed: retrying would not help
    held = [e for e in outcome.values() if e.status == InboundStatus.HELD]
    assert len(held) == 1 and "Automatic mail" in held[0].error
    assert sum(e.status == InboundStatus.PROCESSED for e in outcome.values()) == 2
    assert Ticket.objects.count() == 2


def test_a_mail_that_breaks_the_transaction_is_failed_alone(ingest, monkeypatch):
    """The batch rolls back; every event is then processed on its own: the others are filed,
    the bad one keeps its raw mail and the reason, due for a retry."""
    real_redact = receive_module.redact_pii

    def redact(text):  # both the batch and the single path redact every body they store
        if "注文 2 " in text:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_redact(text)

    monkeypatch.setattr(receive_module, "redact_pii", redact)
    monkeypatch.setattr(receive_bulk, "redact_pii", redact)
    raws = [mail(1), mail(2), mail(3)]

    ingest(raws)

    events = list(InboundEvent.objects.order_by("pk"))
    assert [e.status for e in events] == [
        InboundStatus.PROCESSED,
        InboundStatus.FAILED,
        InboundStatus.PROCESSED,
    ]
    assert "IntegrityError" in events[1].error and events[1].next_attempt_at is not None
    assert bytes(events[1].payload) == raws[1]
    assert Ticket.objects.count() == 2


def test_a_batch_is_cheaper_per_mail_than_one_by_one(ingest, django_capture_on_commit_callbacks):
    """Bounded statements: one INSERT for the raws, one locking SELECT, one duplicate check,
    one SELECT of the senders, one INSERT each for the tickets and the messages and one UPDATE
    for the batch; per mail only what the mail itself needs (a new sender)."""
    ingest([mail(n) for n in range(40, 45)])  # these senders are known from now on
    raws = [mail(n) for n in range(40, 60)]

    with CaptureQueriesContext(connection) as queries:
        ingest(raws)

    # Not counted: the SLA and automation receivers (their apps' own), our mailbox addresses
    # (a worker remembers them across events; a test's transaction re-reads them each time),
    # and the search index refreshed after the commit (tickets.search_queue).
    elsewhere = re.compile(r'(FROM|INTO|UPDATE) "(sla_|automations_|channels_in_mailaccount)')
    statements = [q["sql"] for q in queries.captured_queries]
    done = next(i for i, sql in enumerate(statements) if "outcome" in sql)
    own = [sql for sql in statements[: done + 1] if not elsewhere.search(sql)]
    assert Ticket.objects.count() == 25
    # Per batch: raws, lock, duplicates, senders, tickets, messages, outcomes and the
    # (test-nested) savepoints around them; per mail only the first contact of each of the 15
    # new senders (customer and identity in one INSERT). Nothing else grows with the batch.
    assert len(own) <= 12 + 15, "\n".join(sql[:150] for sql in own)
    assert sum("SAVEPOINT" in sql for sql in own) <= 4


def test_the_single_event_path_still_files_alone(django_capture_on_commit_callbacks):
    from channels_in import services

    with django_capture_on_commit_callbacks(execute=True):
        event, created = services.record_raw_mail(mail(1), source="test")
    event.refresh_from_db()
    assert created and event.status == InboundStatus.PROCESSED and event.message_id


def test_an_empty_batch_stores_nothing(ingest):
    assert ingest([]) == []
    assert InboundEvent.objects.count() == 0
