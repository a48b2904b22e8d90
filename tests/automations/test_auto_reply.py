"""The default auto-reply: new email and web-form tickets hear when to expect an answer;
machines, blocked customers and other channels never get one."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest
from django.core import mail
from django.utils import timezone

from automations.models import AutomationRun, RunKind, RunOutcome
from automations.seeding import seed_default_auto_reply
from channels_in import services as inbound
from customers.models import Customer, Identity
from tickets.models import AuthorKind, Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_rule():
    return seed_default_auto_reply()


def raw_mail(*, headers=None, sender="taro@example.jp") -> bytes:
    message = EmailMessage()
    message["From"] = f"Taro <{sender}>"
    message["To"] = "support@madoguchi.localhost"
    message["Subject"] = "注文について"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.jp>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content("届いていません。")
    return message.as_bytes()


def ingest(raw: bytes, capture):
    with capture(execute=True):
        event, _ = inbound.record_raw_mail(raw, source="test")
    event.refresh_from_db()
    return event


def system_messages():
    return Message.objects.filter(author_kind=AuthorKind.SYSTEM)


def test_new_mail_gets_the_expected_response_time(django_capture_on_commit_callbacks):
    event = ingest(raw_mail(), django_capture_on_commit_callbacks)
    ticket = event.message.ticket
    [auto] = system_messages()
    assert auto.ticket == ticket and not auto.internal
    assert f"#{ticket.pk}" in auto.body_text and "1営業日以内" in auto.body_text
    [sent] = mail.outbox
    assert sent.to == ["taro@example.jp"]
    assert AutomationRun.objects.filter(
        ticket=ticket, kind=RunKind.AUTO_REPLY, outcome=RunOutcome.APPLIED
    ).exists()
    # The auto-reply is not an agent's answer: the ticket still waits for one.
    ticket.refresh_from_db()
    assert ticket.first_replied_at is None and ticket.status == "new"


def test_web_form_tickets_get_it_and_chats_do_not(receive):
    receive(channel="web", handle="form@example.jp")
    assert system_messages().count() == 1
    receive(channel="chat", handle="visitor-1", subject="")
    assert system_messages().count() == 1


def test_a_follow_up_mail_is_not_answered_again(receive):
    first = receive()
    receive(body="追記です", replies_to=(first.external_id,))
    assert system_messages().count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "bulk"},
        {"List-Id": "<news.shop.example>"},
        {"Auto-Submitted": "auto-generated"},
    ],
)
def test_machine_mail_is_never_auto_answered(headers, django_capture_on_commit_callbacks):
    event = ingest(raw_mail(headers=headers), django_capture_on_commit_callbacks)
    assert event.message_id  # it is a ticket …
    assert not system_messages().exists()  # … that nobody answers automatically
    assert mail.outbox == []
    run = AutomationRun.objects.get(kind=RunKind.AUTO_REPLY)
    assert run.outcome == RunOutcome.SKIPPED and "by a machine" in run.detail


def test_blocked_customer_between_receipt_and_reply_gets_nothing(receive, monkeypatch):
    from automations import tasks

    queued = []
    monkeypatch.setattr(tasks.send_auto_reply, "delay", lambda *args: queued.append(args))
    message = receive()
    Customer.objects.filter(pk=message.ticket.customer_id).update(blocked_at=timezone.now())
    tasks.send_auto_reply(*queued[0])
    assert not system_messages().exists()
    run = AutomationRun.objects.get(kind=RunKind.AUTO_REPLY)
    assert (run.outcome, run.detail) == (RunOutcome.SKIPPED, "The customer is blocked.")


def test_blocked_customers_open_no_ticket_and_get_no_reply(receive):
    customer = Customer.objects.create(name="Troll", blocked_at=timezone.now())
    Identity.objects.create(customer=customer, kind="email", handle="troll@example.jp")
    assert receive(handle="troll@example.jp") is None
    assert not system_messages().exists() and mail.outbox == []


def test_seeding_twice_keeps_one_rule_and_an_edit():
    rule = seed_default_auto_reply()
    rule.reply_text = "edited"
    rule.save()
    assert seed_default_auto_reply().reply_text == "edited"
