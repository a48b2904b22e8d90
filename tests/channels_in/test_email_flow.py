"""End to end: a mail comes in, an agent answers through SMTP, the customer's answer to that
mail lands on the same ticket; duplicates, ticket hints and hostile HTML on the way."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from django.utils import translation

from channels_in import services
from channels_in.models import InboundEvent, InboundStatus
from tickets.models import AuthorKind, Message, Status, Ticket
from tickets.services import reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def receive(django_capture_on_commit_callbacks):
    """Record raw bytes the way the mailbox poller does and let the commit hooks run."""

    def receive(raw: bytes) -> tuple[InboundEvent, bool]:
        with django_capture_on_commit_callbacks(execute=True):
            event, created = services.record_raw_mail(raw, source="test")
        event.refresh_from_db()
        return event, created

    return receive


def customer_mail(
    *,
    sender: str = "山田 太郎 <yamada@example.jp>",
    subject: str = "配送について",
    body: str = "注文した本がまだ届きません。",
    message_id: str = "<c1@example.jp>",
    in_reply_to: str = "",
    charset: str = "utf-8",
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "support@madoguchi.localhost"
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    mail["Date"] = "Tue, 03 Jun 2025 10:00:00 +0900"
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    mail.set_content(body, charset=charset)
    return mail.as_bytes()


def test_mail_reply_and_answer_stay_on_one_ticket(
    receive, agent, smtp_server, django_capture_on_commit_callbacks
):
    event, created = receive(customer_mail())
    assert created and event.status == InboundStatus.PROCESSED, event.error
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.channel, ticket.status) == ("配送について", "email", Status.NEW)
    assert ticket.identity.handle == "yamada@example.jp"
    assert ticket.customer.name == "山田 太郎"
    first = ticket.messages.get()
    assert first.body_text == "注文した本がまだ届きません。"
    assert first.external_id == "<c1@example.jp>" and event.message == first

    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(ticket=ticket, author=agent, body_text="山田様\nお調べいたします。")
    (received,) = smtp_server.wait_for(1)
    sent = received.parsed()
    assert received.rcpt_tos == ["yamada@example.jp"]
    assert sent["Message-ID"] == answer.external_id
    assert sent["In-Reply-To"] == "<c1@example.jp>"
    assert sent["References"] == "<c1@example.jp>"
    assert sent["Subject"] == f"Re: 配送について [#{ticket.pk}]"
    plain = sent.get_body(("plain",))
    assert plain.get_content_charset() == "utf-8"
    assert "山田様\r\nお調べいたします。" in plain.get_content()
    assert answer.delivery.status == "queued"  # the object from before the send
    answer.delivery.refresh_from_db()
    assert answer.delivery.status == "sent"
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING

    # The customer answers that very mail from their client: new id, In-Reply-To ours.
    their_answer = email.message_from_bytes(received.content, policy=email.policy.default)
    for header in ("From", "To", "Message-ID", "In-Reply-To", "References", "Subject"):
        del their_answer[header]
    their_answer["From"] = "山田 太郎 <Yamada@Example.jp>"
    their_answer["To"] = "support@madoguchi.localhost"
    their_answer["Subject"] = f"Re: {sent['Subject']}"
    their_answer["Message-ID"] = "<c2@example.jp>"
    their_answer["In-Reply-To"] = sent["Message-ID"]
    their_answer["References"] = f"<c1@example.jp> {sent['Message-ID']}"
    their_answer.get_body(("plain",)).set_content(
        "ありがとうございます。\n\n> 山田様", charset="iso-2022-jp"
    )
    event, created = receive(their_answer.as_bytes())

    assert created and event.status == InboundStatus.PROCESSED, event.error
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # reopened: it needs an agent again
    latest = ticket.messages.last()
    assert (latest.author_kind, latest.external_id) == (AuthorKind.CUSTOMER, "<c2@example.jp>")
    assert latest.body_text.startswith("ありがとうございます。")
    assert ticket.messages.count() == 3


def test_same_mail_twice_is_one_message(receive):
    raw = customer_mail()
    first, created = receive(raw)
    again, created_again = receive(raw)
    # The same mail from a second mailbox: other bytes, same Message-ID.
    relayed, created_relayed = receive(b"Received: from mx2.example.jp\r\n" + raw)

    assert created and not created_again and not created_relayed
    assert first.pk == again.pk == relayed.pk
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_mail_without_message_id_is_deduplicated_by_its_bytes(receive):
    raw = b"From: a@example.com\r\nSubject: no id\r\n\r\nhello\r\n"
    event, created = receive(raw)
    again, created_again = receive(raw)

    assert created and not created_again and event.pk == again.pk
    assert event.idempotency_key.startswith("sha256:")
    assert Message.objects.get().external_id == ""


def test_ticket_hint_threads_for_the_same_customer_only(receive):
    receive(customer_mail())
    ticket = Ticket.objects.get()
    subject = f"Re: 配送について [#{ticket.pk}]"

    event, _ = receive(
        customer_mail(
            subject=subject, message_id="<c3@example.jp>", in_reply_to="<unknown@elsewhere.example>"
        )
    )
    assert event.status == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 2

    receive(
        customer_mail(
            sender="Other <other@example.com>", subject=subject, message_id="<o1@example.com>"
        )
    )
    assert Ticket.objects.count() == 2
    other = Ticket.objects.exclude(pk=ticket.pk).get()
    assert other.identity.handle == "other@example.com"
    assert ticket.messages.count() == 2


def test_hostile_html_is_stored_sanitized(receive):
    mail = EmailMessage()
    mail["From"] = "attacker@example.com"
    mail["Subject"] = "click"
    mail["Message-ID"] = "<html-1@example.com>"
    mail.set_content("plain version")
    mail.add_alternative(
        '<p onclick="steal()">Hello <b>there</b></p><script>alert(document.cookie)</script>'
        '<img src="https://tracker.example/pixel.gif"><a href="javascript:alert(1)">x</a>',
        subtype="html",
    )
    event, _ = receive(mail.as_bytes())

    stored = Message.objects.get()
    assert event.status == InboundStatus.PROCESSED
    assert stored.body_text == "plain version"
    assert "Hello <b>there</b>" in stored.body_html
    for hostile in ("<script", "onclick", "tracker.example", "javascript:"):
        assert hostile not in stored.body_html


def test_japanese_attachment_is_stored(receive):
    mail = EmailMessage()
    mail["From"] = "yamada@example.jp"
    mail["Subject"] = "請求書"
    mail["Message-ID"] = "<att-1@example.jp>"
    mail.set_content("添付します。")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="請求書①.pdf")
    receive(mail.as_bytes())

    (attachment,) = Message.objects.get().attachments.all()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "請求書①.pdf",
        "application/pdf",
        8,
    )
    assert attachment.file.read() == b"%PDF-1.4"


def test_malformed_mail_fails_the_event_and_keeps_the_bytes(receive):
    raw = b"Subject: who sent this?\r\n\r\nbody\r\n"
    with translation.override("en"):
        event, created = receive(raw)

    assert created and event.status == InboundStatus.FAILED
    assert event.error.startswith("MalformedMail: ")
    assert "sender address" in event.error
    assert bytes(event.payload) == raw
    # Retrying cannot give it a sender: it waits for an admin's replay_inbound instead.
    assert event.next_attempt_at is None
    assert not Message.objects.exists()
