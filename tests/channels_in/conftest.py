"""Fixtures for channel tests: a real SMTP peer Django's mail connection talks to."""

from __future__ import annotations

import pytest

from tests.smtp_server import LocalSMTPServer


@pytest.fixture
def smtp_server(settings):
    server = LocalSMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


# --- a real IMAP/POP3 peer ------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot_server():
    """One private Dovecot per test process; tests each get their own user on it."""
    from tests.channels_in.dovecot import DovecotServer

    server = DovecotServer().start()
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server):
    """A new, empty mailbox (INBOX) on the private Dovecot."""
    return dovecot_server.add_mailbox()


@pytest.fixture
def mail_account(db, dovecot):
    """Make a `MailAccount` for the `dovecot` mailbox (plain IMAP on 127.0.0.1)."""
    from channels_in.mailbox.accounts import save_mail_account
    from channels_in.models import MailAccount

    def make(mailbox=None, *, password: str | None = None, **fields) -> MailAccount:
        mailbox = mailbox or dovecot
        pop3 = fields.get("protocol") == "pop3"
        values = {
            "name": f"Support ({mailbox.user})",
            "host": mailbox.host,
            "port": mailbox.pop3_port if pop3 else mailbox.imap_port,
            "security": "none",
            "username": mailbox.user,
            **fields,
        }
        return save_mail_account(
            MailAccount(**values), password=mailbox.password if password is None else password
        )

    return make
