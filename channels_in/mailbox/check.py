"""`test_connection`: the settings page's "Test connection" button, in one sentence."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import AfterImport, MailAccount, MailProtocol
from . import errors, imap, pop3


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def test_connection(account: MailAccount) -> ConnectionCheck:
    """Connect, sign in and look at the folder(s) the poller will use; change nothing."""
    try:
        if account.protocol == MailProtocol.POP3:
            message = _check_pop3(account)
        else:
            message = _check_imap(account)
    except Exception as exc:  # noqa: BLE001 - whatever happens is the answer to show
        return ConnectionCheck(ok=False, message=errors.describe_error(exc, account))
    return ConnectionCheck(ok=True, message=message)


# Not collected by pytest although it starts with "test_".
test_connection.__test__ = False  # type: ignore[attr-defined]


def _check_imap(account: MailAccount) -> str:
    with imap.open_imap(account) as client:
        folder = imap.select_folder(client, account.folder, readonly=True)
        if account.after_import == AfterImport.MOVE and not imap.folder_exists(
            client, account.move_to
        ):
            raise errors.folder_missing(account.move_to)
    return ngettext(
        "Connected and signed in. The folder “%(folder)s” holds %(count)d message.",
        "Connected and signed in. The folder “%(folder)s” holds %(count)d messages.",
        folder.exists,
    ) % {"folder": folder.name, "count": folder.exists}


def _check_pop3(account: MailAccount) -> str:
    if account.after_import == AfterImport.MOVE:
        raise errors.MailboxError(_("POP3 has no folders: choose another action after import."))
    with pop3.open_pop3(account) as client:
        count, _size = client.stat()
    return ngettext(
        "Connected and signed in. The mailbox holds %(count)d message.",
        "Connected and signed in. The mailbox holds %(count)d messages.",
        count,
    ) % {"count": count}
