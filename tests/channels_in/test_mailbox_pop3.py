"""POP3 against the private Dovecot: import by UIDL, keep or delete, crash between DELE and QUIT."""

from __future__ import annotations

import poplib

import pytest
from django.utils import translation

from channels_in.mailbox import poll_mailbox, test_connection
from channels_in.models import InboundEvent, InboundStatus, Pop3SeenMessage
from tests.channels_in.mailbox_mail import customer_mail, message_id
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll(django_capture_on_commit_callbacks):
    def poll(account):
        with django_capture_on_commit_callbacks(execute=True):
            result = poll_mailbox(account.pk)
        account.refresh_from_db()
        return result

    return poll


def test_pop3_imports_each_message_once_and_keeps_it_on_the_server(dovecot, mail_account, poll):
    mails = [customer_mail(1), customer_mail(2)]
    dovecot.append_many(mails)
    account = mail_account(protocol="pop3")

    first = poll(account)
    again = poll(account)
    dovecot.append(customer_mail(3))
    later = poll(account)

    assert (first.status, first.imported, again.imported, later.imported) == ("ok", 2, 0, 1)
    events = InboundEvent.objects.order_by("pk")
    assert [bytes(e.payload) for e in events][:2] == mails
    assert [e.idempotency_key for e in events] == [message_id(n) for n in (1, 2, 3)]
    assert {e.status for e in events} == {InboundStatus.PROCESSED}
    assert {e.headers["source"] for e in events} == {f"pop3:{account.pk}"}
    assert Ticket.objects.count() == 3
    assert len(dovecot.uids()) == 3  # "mark as read" keeps POP3 mail on the server
    assert Pop3SeenMessage.objects.filter(account=account, acted=True).count() == 3
    assert account.imported_count == 3


def test_pop3_delete_after_import_empties_the_mailbox(dovecot, mail_account, poll):
    dovecot.append_many([customer_mail(1), customer_mail(2)])
    account = mail_account(protocol="pop3", after_import="delete")

    assert poll(account).imported == 2

    assert dovecot.uids() == []
    # Nothing left on the server, so nothing left to remember.
    poll(account)
    assert not Pop3SeenMessage.objects.filter(account=account).exists()


def test_pop3_deletions_lost_with_the_connection_are_redone(
    dovecot, mail_account, poll, monkeypatch
):
    """A worker that dies before QUIT: the server undoes our DELEs, the mail is stored."""
    dovecot.append_many([customer_mail(1), customer_mail(2)])
    account = mail_account(protocol="pop3", after_import="delete")

    def dropped_connection(self):
        self.close()  # no QUIT: the server keeps the messages
        raise EOFError("connection lost")

    with monkeypatch.context() as patched:
        patched.setattr(poplib.POP3, "quit", dropped_connection)
        failed = poll(account)
    assert failed.status == "error"
    assert len(dovecot.uids()) == 2
    assert InboundEvent.objects.count() == 2

    retried = poll(account)

    assert (retried.status, retried.fetched, retried.imported) == ("ok", 0, 0)
    assert dovecot.uids() == []
    assert InboundEvent.objects.count() == 2


def test_pop3_connection_check_counts_the_messages(dovecot, mail_account):
    dovecot.append_many([customer_mail(1), customer_mail(2)])
    account = mail_account(protocol="pop3")

    check = test_connection(account)

    assert check.ok, check.message
    assert "2" in check.message


def test_pop3_wrong_password_is_a_clear_error(dovecot, mail_account, poll):
    account = mail_account(protocol="pop3", password="wrong")

    with translation.override("en"):
        result = poll(account)

    assert result.status == "error"
    assert account.last_error.startswith("Authentication failed")
    assert not test_connection(account).ok
