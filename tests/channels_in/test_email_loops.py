"""Loops and junk: automatic replies, bounces, our own mail and mail storms never open a
ticket or get answered; every one of them is still kept raw and can be released."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from channels_in import services
from channels_in.mail.screening import message_is_automated
from channels_in.models import DeliveryStatus, InboundEvent, InboundStatus, OutboundDelivery
from tickets.models import Message, Ticket
from tickets.services import reply

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Reasons are stored translated (the default language is Japanese): read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def receive(django_capture_on_commit_callbacks):
    def receive(raw: bytes) -> InboundEvent:
        with django_capture_on_commit_callbacks(execute=True):
            event, _created = services.record_raw_mail(raw, source="test")
        event.refresh_from_db()
        return event

    return receive


def mail(
    *,
    sender: str = "Taro <taro@example.jp>",
    subject: str = "注文について",
    body: str = "届いていません。",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@madoguchi.localhost"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.jp>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Out of office", {"Auto-Submitted": "auto-replied"}),
        ("Re: 注文について", {"X-Autoreply": "yes"}),
        ("Re: 注文について", {"X-Autorespond": "Vacation"}),
        ("Re: 注文について", {"Precedence": "auto_reply"}),
        ("【自動返信】お問い合わせありがとうございます", {}),
        ("自動応答: 注文について", {}),
        ("Automatic reply: 注文について", {"X-Auto-Response-Suppress": "All"}),
        ("Abwesenheitsnotiz: Bestellung", {}),
    ],
)
def test_automatic_replies_are_held_without_a_ticket(receive, subject, headers):
    event = receive(mail(subject=subject, headers=headers))

    assert event.status == InboundStatus.HELD
    assert "Automatic mail" in event.error
    assert Ticket.objects.count() == 0 and Message.objects.count() == 0
    assert bytes(event.payload).startswith(b"From: Taro")  # kept raw


def test_a_customer_writing_about_auto_replies_gets_a_ticket(receive):
    event = receive(mail(subject="Your auto-reply says you are closed?"))
    assert event.status == InboundStatus.PROCESSED, event.error
    assert Ticket.objects.count() == 1
    assert not message_is_automated(event.message_id)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"List-Id": "<news.shop.example>"}, "List-Id"),
        ({"Auto-Submitted": "auto-generated"}, "Auto-Submitted: auto-generated"),
        ({"X-Auto-Response-Suppress": "OOF, AutoReply"}, "X-Auto-Response-Suppress"),
    ],
)
def test_system_and_list_mail_is_a_ticket_never_answered_automatically(receive, headers, reason):
    event = receive(mail(headers=headers))

    assert event.status == InboundStatus.PROCESSED, event.error
    assert Ticket.objects.count() == 1
    assert message_is_automated(event.message_id)
    assert reason in event.headers["automated"]


def test_corpus_system_notification_is_marked_automated(receive, corpus):
    event = receive((corpus / "zammad-mail" / "mail089.box").read_bytes())
    assert event.status == InboundStatus.PROCESSED, event.error
    assert message_is_automated(event.message_id)


@pytest.mark.parametrize(
    "path", ["flanker/messages/disposition-notification.eml", "flanker/messages/complaints/aol.eml"]
)
def test_read_receipts_and_abuse_reports_are_held(receive, corpus, path):
    event = receive((corpus / path).read_bytes())
    assert event.status == InboundStatus.HELD
    assert Ticket.objects.count() == 0


def test_mail_from_our_own_addresses_never_opens_a_ticket(receive, settings, mail_account):
    settings.MAIL_OWN_ADDRESSES = ["info@shop.example"]
    account = mail_account(username="inbox@shop.example")
    senders = [
        "Support <support@madoguchi.localhost>",
        "info@shop.example",
        f"Mailbox <{account.username}>",
    ]
    events = [receive(mail(sender=sender)) for sender in senders]

    assert [event.status for event in events] == [InboundStatus.HELD] * 3
    assert all("own addresses" in event.error for event in events)
    assert Ticket.objects.count() == 0


# --- bounces --------------------------------------------------------------------------------


def dsn(original_id: str, *, action: str = "failed", status: str = "5.1.1") -> bytes:
    """A Postfix-style RFC 3464 report returning the headers of the mail that bounced."""
    boundary = "B0UNDARY"
    return (
        "From: MAILER-DAEMON@mx.example.jp (Mail Delivery System)\r\n"
        "To: support@madoguchi.localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.example.jp>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.jp\r\n\r\n"
        "Final-Recipient: rfc822; yamada@example.jp\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <yamada@example.jp>: Recipient address rejected\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "From: Madoguchi Support <support@madoguchi.localhost>\r\n"
        f"Message-ID: {original_id}\r\n"
        "Subject: Re: 配送について\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()


@pytest.fixture
def sent_reply(receive, agent, smtp_server, django_capture_on_commit_callbacks):
    receive(mail(sender="山田 <yamada@example.jp>"))
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(ticket=ticket, author=agent, body_text="お調べします。")
    smtp_server.wait_for(1)
    answer.delivery.refresh_from_db()
    assert answer.delivery.status == DeliveryStatus.SENT
    return answer


def test_a_bounce_marks_our_delivery_failed_with_the_reason(receive, sent_reply):
    event = receive(dsn(sent_reply.delivery.provider_id))

    delivery = OutboundDelivery.objects.get(pk=sent_reply.delivery.pk)
    assert delivery.status == DeliveryStatus.FAILED
    assert "5.1.1" in delivery.last_error and "Recipient address rejected" in delivery.last_error
    assert event.status == InboundStatus.PROCESSED and event.message == sent_reply
    assert Ticket.objects.count() == 1 and Message.objects.count() == 2  # no new message


def test_a_delay_notice_keeps_the_delivery_and_notes_it(receive, sent_reply):
    receive(dsn(sent_reply.delivery.provider_id, action="delayed", status="4.4.1"))

    delivery = OutboundDelivery.objects.get(pk=sent_reply.delivery.pk)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.last_error.startswith("Delayed") and "4.4.1" in delivery.last_error


def test_corpus_bounce_finds_our_delivery(receive, corpus, sent_reply):
    # Zammad's mail033 returns a mail whose Message-ID we pretend to have sent.
    OutboundDelivery.objects.filter(pk=sent_reply.delivery.pk).update(
        provider_id="<20150830145601.30.608881@edenhofer.zammad.com>"
    )
    raw = (corpus / "zammad-mail" / "mail033-undelivered-mail-returned-to-sender.box").read_bytes()
    event = receive(raw)

    delivery = OutboundDelivery.objects.get(pk=sent_reply.delivery.pk)
    assert event.status == InboundStatus.PROCESSED, event.error
    assert delivery.status == DeliveryStatus.FAILED
    assert "not_existing@znuny.com" in delivery.last_error and "5.1.1" in delivery.last_error


def test_a_bounce_of_a_mail_we_never_sent_is_held(receive):
    event = receive(dsn("<someone-else@elsewhere.example>"))
    assert event.status == InboundStatus.HELD
    assert "did not send" in event.error
    assert event.headers["bounce"]["recipients"] == ["yamada@example.jp"]
    assert Ticket.objects.count() == 0


def test_free_text_bounce_without_a_report_is_recognised(receive, sent_reply):
    raw = (
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n"
        "Subject: Delivery Status Notification (Failure)\r\n"
        "Message-ID: <bounce-free-text@googlemail.com>\r\n\r\n"
        "Delivery to the following recipient failed permanently:\r\n\r\n"
        "     yamada@example.jp\r\n\r\n"
        "550 5.2.1 The email account that you tried to reach is disabled.\r\n\r\n"
        "----- Original message -----\r\n\r\n"
        f"Message-ID: {sent_reply.delivery.provider_id}\r\n"
        "Subject: Re: 配送について\r\n"
    ).encode()
    receive(raw)
    delivery = OutboundDelivery.objects.get(pk=sent_reply.delivery.pk)
    assert delivery.status == DeliveryStatus.FAILED
    assert "5.2.1" in delivery.last_error


# --- storms and release ---------------------------------------------------------------------


def test_a_mail_storm_from_one_sender_is_held_and_can_be_released(receive, settings):
    settings.MAIL_RATE_LIMIT = 3
    sender = f"storm-{uuid.uuid4().hex[:8]}@example.com"
    events = [receive(mail(sender=sender, subject=f"loop {n}")) for n in range(5)]
    other = receive(mail(sender=f"calm-{uuid.uuid4().hex[:8]}@example.com"))

    assert [e.status for e in events] == [InboundStatus.PROCESSED] * 3 + [InboundStatus.HELD] * 2
    assert "Mail storm" in events[3].error and sender in events[3].error
    assert other.status == InboundStatus.PROCESSED
    # A retry of a held event does not count it twice.
    services.process_inbound(events[4].pk)
    assert InboundEvent.objects.get(pk=events[4].pk).status == InboundStatus.HELD

    listing = StringIO()
    call_command("list_inbound", "--status", "held", stdout=listing)
    assert f"{events[3].pk}\temail\theld" in listing.getvalue()

    out = StringIO()
    call_command("release_inbound", str(events[3].pk), stdout=out)
    released = InboundEvent.objects.get(pk=events[3].pk)
    assert released.status == InboundStatus.PROCESSED and released.message is not None
    assert f"{events[3].pk}\temail\tprocessed" in out.getvalue()


def test_release_refuses_events_that_are_not_held(receive):
    event = receive(mail())
    with pytest.raises(CommandError):
        call_command("release_inbound", str(event.pk), "999999", stderr=StringIO())
    assert Message.objects.count() == 1
