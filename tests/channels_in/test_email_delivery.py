"""Agent replies leave as threaded mail through a real SMTP peer; its refusals and outages
become the delivery's state the agent sees."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from channels_in import services
from channels_in.mail.compose import REFERENCES_KEPT, build_reply, reply_subject
from channels_in.models import DeliveryStatus, OutboundDelivery
from tests.factories import IdentityFactory, MessageFactory, TicketFactory
from tickets.inbound import IncomingAttachment
from tickets.models import AuthorKind
from tickets.services import reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    identity = IdentityFactory(handle="yamada@example.jp", display_name="山田 太郎")
    ticket = TicketFactory(identity=identity, subject="AW: Re: 配送について")
    MessageFactory(
        ticket=ticket,
        identity=identity,
        external_id="<first@example.jp>",
        body_text="注文した本が届きません。\n注文番号は 10482 です。",
    )
    return ticket


def send_reply(ticket, agent, capture, text="お調べします。", **kwargs):
    with capture(execute=True):
        message = reply(ticket=ticket, author=agent, body_text=text, **kwargs)
    return message, OutboundDelivery.objects.get(message=message)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("配送について", "Re: 配送について [#7]"),
        ("Re: 配送について", "Re: 配送について [#7]"),
        ("RE: AW: Fwd: 配送について", "Re: 配送について [#7]"),
        ("返信：配送について [#7]", "Re: 配送について [#7]"),
        ("Re: Re: [#7] hello", "Re: hello [#7]"),
        ("", "Re: [#7]"),
    ],
)
def test_reply_subject_says_re_once_and_carries_the_ticket_number(subject, expected):
    assert reply_subject(subject, 7) == expected


def test_reply_reaches_the_smtp_server_threaded(
    ticket, agent, smtp_server, django_capture_on_commit_callbacks
):
    message, delivery = send_reply(ticket, agent, django_capture_on_commit_callbacks)

    (received,) = smtp_server.wait_for(1)
    sent = received.parsed()
    assert received.rcpt_tos == ["yamada@example.jp"]
    assert sent["Message-ID"] == message.external_id
    assert sent["In-Reply-To"] == "<first@example.jp>"
    assert sent["References"] == "<first@example.jp>"
    assert sent["Subject"] == f"Re: 配送について [#{ticket.pk}]"
    assert "support@madoguchi.localhost" in sent["From"]
    plain = sent.get_body(("plain",))
    assert plain.get_content_charset() == "utf-8"
    text = plain.get_content().replace("\r\n", "\n")
    assert text.startswith("お調べします。\n\n")
    assert "山田 太郎" in text
    assert "> 注文した本が届きません。\n> 注文番号は 10482 です。" in text
    assert "<blockquote>" in sent.get_body(("html",)).get_content()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_id == message.external_id
    assert delivery.attempts == 1 and delivery.sent_at is not None


def test_references_list_customer_and_agent_ids_in_order(
    ticket, agent, smtp_server, django_capture_on_commit_callbacks
):
    first, _ = send_reply(ticket, agent, django_capture_on_commit_callbacks, text="one")
    MessageFactory(ticket=ticket, identity=ticket.identity, external_id="<second@example.jp>")
    MessageFactory(ticket=ticket, author_kind=AuthorKind.AGENT, internal=True, body_text="note")
    MessageFactory(ticket=ticket, channel="web", external_id="web:sha256:abc")
    second, _ = send_reply(ticket, agent, django_capture_on_commit_callbacks, text="two")

    sent = smtp_server.wait_for(2)[1].parsed()
    assert sent["Message-ID"] == second.external_id
    assert sent["In-Reply-To"] == "<second@example.jp>"
    assert sent["References"].split() == [
        "<first@example.jp>",
        first.external_id,
        "<second@example.jp>",
    ]


def test_references_keep_only_the_latest(ticket, agent):
    for number in range(REFERENCES_KEPT + 5):
        MessageFactory(ticket=ticket, identity=ticket.identity, external_id=f"<m{number}@x.jp>")
    message = MessageFactory(
        ticket=ticket,
        author_kind=AuthorKind.AGENT,
        author=agent,
        external_id="<ours@madoguchi.localhost>",
        body_text="ok",
    )

    built = build_reply(message, recipient="yamada@example.jp")
    references = built.extra_headers["References"].split()
    assert len(references) == REFERENCES_KEPT
    assert references[-1] == f"<m{REFERENCES_KEPT + 4}@x.jp>"
    assert built.extra_headers["In-Reply-To"] == references[-1]


def test_reply_attachments_are_sent(ticket, agent, smtp_server, django_capture_on_commit_callbacks):
    send_reply(
        ticket,
        agent,
        django_capture_on_commit_callbacks,
        text="見積書を添付します。",
        attachments=[IncomingAttachment("見積書①.pdf", "application/pdf", b"%PDF-1.4 test")],
    )

    sent = smtp_server.wait_for(1)[0].parsed()
    (attachment,) = list(sent.iter_attachments())
    assert attachment.get_filename() == "見積書①.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


def test_permanent_refusal_fails_the_delivery_with_the_reason(
    ticket, agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.refuse("yamada@example.jp", "550 5.1.1 <yamada@example.jp>: user unknown")

    _, delivery = send_reply(ticket, agent, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "550" in delivery.last_error and "user unknown" in delivery.last_error
    assert delivery.next_attempt_at is None
    assert smtp_server.messages == []


def test_temporary_refusal_is_retried(
    ticket, agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.refuse("yamada@example.jp", "450 4.2.1 mailbox busy, try later")

    _, delivery = send_reply(ticket, agent, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert "450" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()

    smtp_server.clear()  # the mailbox has room again; the retry sweep sends it
    delivery.next_attempt_at = timezone.now() - timedelta(seconds=1)
    delivery.save()
    assert delivery.pk in services.deliveries_due_for_retry()
    services.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert len(smtp_server.wait_for(1)) == 1


def test_smtp_down_keeps_the_delivery_queued(
    ticket, agent, settings, django_capture_on_commit_callbacks
):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"

    _, delivery = send_reply(ticket, agent, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()


def test_web_form_ticket_is_answered_by_mail_without_threading_headers(
    agent, django_capture_on_commit_callbacks
):
    identity = IdentityFactory(handle="form@example.jp")
    web_ticket = TicketFactory(identity=identity, channel="web", subject="問い合わせ")
    MessageFactory(
        ticket=web_ticket, identity=identity, external_id="web:sha256:1", body_text="フォームから"
    )

    send_reply(web_ticket, agent, django_capture_on_commit_callbacks)

    (sent,) = django_mail.outbox  # the locmem backend of the test settings
    assert sent.to == ["form@example.jp"]
    assert "In-Reply-To" not in sent.extra_headers
    assert "References" not in sent.extra_headers
    assert sent.subject == f"Re: 問い合わせ [#{web_ticket.pk}]"
