"""`backfill_mailbox`: read a date range of an IMAP folder again, whatever the checkpoint says.

For mail that was deleted from the helpdesk's view, a mailbox connected late, or a migration.
It stores every mail of the range raw; Message-ID deduplication makes re-reading harmless. It
neither moves the checkpoint nor runs the after-import action (the folder is only EXAMINEd).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F
from django.utils.translation import gettext as _

from .. import services
from ..models import MailAccount, MailProtocol
from . import errors, imap

BATCH_SIZE = 50


@dataclass(frozen=True)
class BackfillResult:
    found: int
    imported: int  # new events; the others were already stored


def backfill_mailbox(
    account: MailAccount, since: date, until: date | None = None
) -> BackfillResult:
    """Mails that arrived from `since` through `until` (inclusive; default: today).

    Raises `MailboxError` (or the connection's own error) — the caller is an admin at a prompt.
    """
    if account.protocol != MailProtocol.IMAP:
        raise errors.MailboxError(_("Only IMAP mailboxes can be backfilled by date."))
    until = until or date.today()
    if until < since:
        raise errors.MailboxError(_("The end date is before the start date."))
    imported = found = 0
    with imap.open_imap(account) as client:
        imap.select_folder(client, account.folder, readonly=True)
        uids = imap.uids_between(client, since, until + timedelta(days=1))
        found = len(uids)
        for start in range(0, len(uids), BATCH_SIZE):
            for _uid, raw in imap.fetch_raw(client, uids[start : start + BATCH_SIZE]):
                _event, created = services.record_raw_mail(
                    raw, source=f"imap:{account.pk}:backfill"
                )
                imported += created
    if imported:
        MailAccount.objects.filter(pk=account.pk).update(
            imported_count=F("imported_count") + imported
        )
    return BackfillResult(found=found, imported=imported)
