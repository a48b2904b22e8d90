"""What an admin is told when a mailbox cannot be read: by "Test connection" and on the account."""

from __future__ import annotations

import pytest
from django.utils import translation

from channels_in.mailbox import poll_mailbox, test_connection
from channels_in.mailbox.accounts import save_mail_account
from tests.channels_in.dovecot import free_port
from tests.channels_in.mailbox_mail import customer_mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_good_account_reports_what_it_sees(dovecot, mail_account):
    dovecot.append_many([customer_mail(1), customer_mail(2)])

    check = test_connection(mail_account())

    assert check.ok
    assert check.message == "Connected and signed in. The folder “INBOX” holds 2 messages."


def test_a_wrong_password_is_stored_on_the_account_and_cleared_once_fixed(dovecot, mail_account):
    dovecot.append(customer_mail(1))
    account = mail_account(password="not-the-password")

    result = poll_mailbox(account.pk)  # never raises: the error is the result
    account.refresh_from_db()

    assert result.status == "error"
    assert account.last_error.startswith(
        "Authentication failed: the server refused the user name or password"
    )
    assert account.last_error == result.error
    assert account.last_error_at is not None and account.last_polled_at is not None
    check = test_connection(account)
    assert not check.ok and check.message == account.last_error

    save_mail_account(account, password=dovecot.password)
    assert poll_mailbox(account.pk).status == "ok"
    account.refresh_from_db()
    assert (account.last_error, account.last_error_at) == ("", None)


def test_a_missing_folder_is_named(dovecot, mail_account):
    check = test_connection(mail_account(folder="Support/受信"))

    assert not check.ok
    assert check.message == "The folder “Support/受信” does not exist on the server."


def test_a_missing_move_target_is_named(dovecot, mail_account):
    check = test_connection(mail_account(after_import="move", move_to="Archive"))

    assert check.message == "The folder “Archive” does not exist on the server."


def test_nothing_listening_is_a_connection_error(dovecot, mail_account):
    port = free_port()
    check = test_connection(mail_account(port=port))

    assert check.message == f"Cannot connect to 127.0.0.1:{port}: the connection was refused."


def test_tls_against_a_plain_text_port_is_a_tls_error(dovecot, mail_account):
    check = test_connection(mail_account(security="ssl"))

    assert check.message.startswith(f"TLS error with 127.0.0.1:{dovecot.imap_port}: ")


def test_starttls_that_the_server_does_not_offer_is_a_tls_error(dovecot, mail_account):
    check = test_connection(mail_account(security="starttls"))

    assert check.message == (
        f"TLS error with 127.0.0.1:{dovecot.imap_port}: the server does not offer STARTTLS."
    )


def test_a_password_encrypted_with_a_lost_key_asks_for_the_password_again(
    dovecot, mail_account, settings
):
    account = mail_account()
    settings.SECRET_KEY = "a-different-secret-key-than-the-one-that-encrypted-it"

    check = test_connection(account)

    assert check.message.startswith("The stored password cannot be decrypted")
