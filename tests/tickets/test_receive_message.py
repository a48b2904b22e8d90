"""tickets.services.receive_message: the one entry point every channel uses."""

import pytest

from customers.models import Customer, Identity
from tickets.inbound import IncomingAttachment, IncomingMessage
from tickets.models import Message, Status, Ticket
from tickets.services import receive_message

pytestmark = pytest.mark.django_db


def incoming(**overrides) -> IncomingMessage:
    values = {
        "channel": "email",
        "identity_kind": "email",
        "handle": "Yamada@Example.jp",
        "display_name": "山田 太郎",
        "subject": "注文した商品が届きません",
        "body_text": "まだ届いていません。",
        "external_id": "<first@example.jp>",
    }
    values.update(overrides)
    return IncomingMessage(**values)


def test_first_message_opens_a_ticket_for_a_new_customer():
    message = receive_message(incoming())

    ticket = message.ticket
    assert ticket.subject == "注文した商品が届きません"
    assert ticket.status == Status.NEW
    assert ticket.channel == "email"
    assert ticket.customer.name == "山田 太郎"
    # Addresses compare case-insensitively: one identity whatever the capitalisation.
    assert Identity.objects.get().handle == "yamada@example.jp"
    assert ticket.identity.handle == "yamada@example.jp"


def test_the_same_message_twice_is_stored_once():
    first = receive_message(incoming())
    second = receive_message(incoming())

    assert first.pk == second.pk
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_reply_threads_by_references_and_reopens_a_solved_ticket():
    first = receive_message(incoming())
    Ticket.objects.filter(pk=first.ticket_id).update(status=Status.SOLVED)

    follow_up = receive_message(
        incoming(
            external_id="<second@example.jp>",
            subject="Re: 注文",
            replies_to=("<unknown@x>", "<first@example.jp>"),
        )
    )

    assert follow_up.ticket_id == first.ticket_id
    assert Ticket.objects.get().status == Status.OPEN


def test_a_ticket_number_in_the_subject_threads_only_for_the_same_customer():
    first = receive_message(incoming())
    hint = first.ticket_id

    same = receive_message(
        incoming(external_id="<a@x>", subject=f"Re: [#{hint}]", ticket_hint=hint)
    )
    stranger = receive_message(
        incoming(external_id="<b@x>", handle="other@example.com", ticket_hint=hint)
    )

    assert same.ticket_id == hint
    assert stranger.ticket_id != hint
    assert Customer.objects.count() == 2


def test_mail_without_references_starts_a_new_ticket():
    receive_message(incoming())
    receive_message(incoming(external_id="<new@example.jp>", subject="別件です"))

    assert Ticket.objects.count() == 2


def test_conversational_channels_continue_the_open_conversation():
    chat = {"channel": "line", "identity_kind": "line", "handle": "U4af4980629", "subject": ""}
    first = receive_message(incoming(external_id="m1", body_text="こんにちは", **chat))
    second = receive_message(incoming(external_id="m2", body_text="返品したいです", **chat))

    assert first.ticket_id == second.ticket_id
    assert first.ticket.subject == "こんにちは"  # no subject on chat: the first line stands in


def test_hostile_html_is_sanitized_before_it_is_stored():
    message = receive_message(
        incoming(
            body_html='<p onclick="steal()">Hi<script>alert(1)</script>'
            '<img src="https://tracker.example/p.gif"></p>'
        )
    )

    assert "script" not in message.body_html
    assert "onclick" not in message.body_html
    assert "tracker.example" not in message.body_html
    assert "Hi" in message.body_html


def test_attachments_are_stored_under_our_own_names(settings):
    message = receive_message(
        incoming(
            attachments=(
                IncomingAttachment(
                    "../../etc/passwd 請求書.pdf", "application/pdf", b"%PDF-1.4 test"
                ),
            )
        )
    )

    attachment = message.attachments.get()
    assert attachment.filename == "../../etc/passwd 請求書.pdf"
    assert attachment.size == len(b"%PDF-1.4 test")
    assert ".." not in attachment.file.name and "passwd" not in attachment.file.name
    assert attachment.file.read() == b"%PDF-1.4 test"
