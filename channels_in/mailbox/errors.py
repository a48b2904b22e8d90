"""Failures talking to a mail server, said so that an admin knows what to fix."""

from __future__ import annotations

import imaplib
import poplib
import socket
import ssl
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from helpdesk.crypto import DecryptionError

if TYPE_CHECKING:
    from ..models import MailAccount


class MailboxError(Exception):
    """A failure whose message is already written for the admin (and translated)."""


def describe_error(exc: BaseException, account: MailAccount) -> str:
    """One sentence for the settings page and `last_error`, whatever went wrong."""
    where = {"host": account.host, "port": account.port, "reason": _reason(exc)}
    if isinstance(exc, MailboxError):
        return str(exc)
    # SSLError is an OSError: test it first.
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return _("TLS error with %(host)s:%(port)s: %(reason)s") % where
    if isinstance(exc, socket.gaierror):
        return _("Cannot connect: the server name %(host)s is unknown.") % where
    if isinstance(exc, ConnectionRefusedError):
        return _("Cannot connect to %(host)s:%(port)s: the connection was refused.") % where
    if isinstance(exc, TimeoutError):
        return _("Cannot connect to %(host)s:%(port)s: the server did not answer in time.") % where
    if isinstance(exc, OSError | EOFError):
        return _("Cannot connect to %(host)s:%(port)s: %(reason)s") % where
    if isinstance(exc, imaplib.IMAP4.error | poplib.error_proto):
        return _("The mail server answered with an error: %(reason)s") % where
    return f"{exc.__class__.__name__}: {_reason(exc)}"


def auth_failed(reason: object) -> MailboxError:
    return MailboxError(
        _("Authentication failed: the server refused the user name or password (%(reason)s).")
        % {"reason": _reason(reason)}
    )


def folder_missing(folder: str) -> MailboxError:
    return MailboxError(
        _("The folder “%(folder)s” does not exist on the server.") % {"folder": folder}
    )


def move_failed(folder: str, reason: object) -> MailboxError:
    return MailboxError(
        _("Could not move imported mail to the folder “%(folder)s”: %(reason)s")
        % {"folder": folder, "reason": _reason(reason)}
    )


def tls_unavailable(account: MailAccount) -> MailboxError:
    return MailboxError(
        _("TLS error with %(host)s:%(port)s: the server does not offer STARTTLS.")
        % {"host": account.host, "port": account.port}
    )


def readable_password(account: MailAccount) -> str:
    """The account's password, or a MailboxError an admin can act on when it can't be read."""
    try:
        return account.get_password()
    except DecryptionError:
        raise MailboxError(
            _(
                "The stored password cannot be decrypted (was SECRET_KEY or FIELD_ENCRYPTION_KEY "
                "changed?). Enter the password again."
            )
        ) from None


def _reason(value: object) -> str:
    if isinstance(value, BaseException) and value.args:
        value = (
            value.args[-1] if isinstance(value, OSError) and len(value.args) > 1 else value.args[0]
        )
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, list):
        value = " ".join(
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in value
        )
    return str(value).strip() or _("no details given")
