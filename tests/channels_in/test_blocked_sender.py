"""A blocked customer's messages are kept (raw) but open no ticket and notify nobody;
unblocking restores the normal flow, and a held event can be replayed into a ticket."""

from email.message import EmailMessage

import pytest

from channels_in.models import InboundStatus
from channels_in.services import process_inbound, record_inbound
from customers.services import customer_block, customer_unblock, identity_resolve
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def mail(message_id: str, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Angry <angry@example.jp>"
    message["To"] = "support@madoguchi.localhost"
    message["Subject"] = "いい加減にしろ"
    message["Message-ID"] = message_id
    message.set_content(text)
    return message.as_bytes()


def ingest(raw: bytes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event, _created = record_inbound(kind="email", payload=raw)
    event.refresh_from_db()
    return event


def test_blocked_sender_is_held_then_flows_again_after_unblock(django_capture_on_commit_callbacks):
    customer = identity_resolve(kind="email", handle="angry@example.jp").customer
    customer_block(customer=customer, reason="暴言")

    held = ingest(mail("<b1@example.jp>", "一通目"), django_capture_on_commit_callbacks)

    assert held.status == InboundStatus.HELD
    assert bytes(held.payload) == mail("<b1@example.jp>", "一通目")  # kept exactly
    assert not Ticket.objects.exists() and not Message.objects.exists()

    customer_unblock(customer=customer)
    after = ingest(mail("<b2@example.jp>", "二通目"), django_capture_on_commit_callbacks)
    replayed = process_inbound(held.pk)

    assert after.status == InboundStatus.PROCESSED
    assert replayed.status == InboundStatus.PROCESSED
    assert Message.objects.count() == 2
    assert {m.body_text.strip() for m in Message.objects.all()} == {"一通目", "二通目"}
