"""End to end with real peers: a customer's mail in the IMAP mailbox becomes a ticket, the
agent's reply leaves through SMTP, and the customer's answer (found by the next poll) lands on
the same ticket."""

from __future__ import annotations

import pytest

from channels_in.mailbox import poll_mailbox
from tests.channels_in.mailbox_mail import customer_mail, message_id
from tickets.models import AuthorKind, Status, Ticket
from tickets.services import reply

pytestmark = pytest.mark.django_db


def test_mailbox_to_ticket_to_smtp_and_back_to_the_same_ticket(
    dovecot, mail_account, agent, smtp_server, django_capture_on_commit_callbacks
):
    account = mail_account()
    dovecot.append(customer_mail(1, subject="配送について", body="本がまだ届きません。"))

    with django_capture_on_commit_callbacks(execute=True):
        assert poll_mailbox(account.pk).imported == 1
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.channel) == ("配送について", "email")
    assert ticket.messages.get().body_text == "本がまだ届きません。"

    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(ticket=ticket, author=agent, body_text="山田様\nお調べいたします。")
    (sent,) = smtp_server.wait_for(1)
    assert sent.rcpt_tos == ["yamada@example.jp"]
    ours = sent.parsed()
    assert ours["In-Reply-To"] == message_id(1)
    assert ours["Message-ID"] == answer.external_id

    dovecot.append(
        customer_mail(
            2,
            subject=f"Re: {ours['Subject']}",
            body="ありがとうございます。\n\n> 山田様",
            in_reply_to=answer.external_id,
            references=f"{message_id(1)} {answer.external_id}",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_mailbox(account.pk).imported == 1

    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    latest = ticket.messages.last()
    assert (latest.author_kind, latest.external_id) == (AuthorKind.CUSTOMER, message_id(2))
    assert latest.body_text.startswith("ありがとうございます。")
    assert ticket.messages.count() == 3
