"""`backfill_mailbox`: read a date range of an IMAP folder again, whatever the checkpoint says.

For mail that was deleted from the helpdesk's view, a mailbox connected late, or a migration.
It stores every mail of the range raw; Message-ID deduplication makes re-reading harmless. It
neither moves the checkpoint nor runs the after-import action (the folder is only EXAMINEd).

Admins start one from the mailbox's settings page (`request_backfill`): it runs as a task
(default queue, so the pollers on `ingest` are not held up), and its progress and outcome
are kept in the cache for the page to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import inbound_batch
from ..models import MailAccount, MailProtocol
from . import errors, imap

BATCH_SIZE = 50
MAX_RANGE_DAYS = 3660  # ten years: a typo in the year, not a request, beyond that
STATUS_SECONDS = 14 * 24 * 3600
STUCK_AFTER = timedelta(hours=6)


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
            fetched = imap.fetch_raw(client, uids[start : start + BATCH_SIZE])
            # One INSERT (and one processing task) per batch; duplicates by Message-ID skipped.
            imported += sum(
                inbound_batch.record_raw_mails(
                    [raw for _uid, raw in fetched], source=f"imap:{account.pk}:backfill"
                )
            )
    if imported:
        MailAccount.objects.filter(pk=account.pk).update(
            imported_count=F("imported_count") + imported
        )
    return BackfillResult(found=found, imported=imported)


# --- started from the settings page -------------------------------------------------------


def _status_key(account_id: int) -> str:
    return f"madoguchi:mailbox-backfill:{account_id}"


def backfill_status(account_id: int) -> dict | None:
    """The latest backfill of a mailbox: state (queued, running, done, failed), the range,
    when, and what it found or why it failed."""
    return cache.get(_status_key(account_id))


def _set_status(account_id: int, **values) -> None:
    current = backfill_status(account_id) or {}
    cache.set(_status_key(account_id), {**current, **values}, STATUS_SECONDS)


def request_backfill(account: MailAccount, since: date, until: date) -> None:
    """Queue a backfill of `since`..`until` (inclusive). Raises `MailboxError` with what to
    fix (not IMAP, range reversed, in the future, too long, one already running)."""
    if account.protocol != MailProtocol.IMAP:
        raise errors.MailboxError(_("Only IMAP mailboxes can be backfilled by date."))
    if until < since:
        raise errors.MailboxError(_("The end date is before the start date."))
    if since > timezone.localdate():
        raise errors.MailboxError(_("The start date is in the future."))
    if (until - since).days > MAX_RANGE_DAYS:
        raise errors.MailboxError(_("Backfill at most ten years at a time."))
    current = backfill_status(account.pk) or {}
    # A worker that died mid-run leaves "running" behind: after a few hours, allow another.
    if current.get("state") in ("queued", "running") and _within(current, STUCK_AFTER):
        raise errors.MailboxError(_("A backfill of this mailbox is already running."))
    cache.set(
        _status_key(account.pk),
        {
            "state": "queued",
            "since": since.isoformat(),
            "until": until.isoformat(),
            "requested_at": timezone.now().isoformat(),
        },
        STATUS_SECONDS,
    )
    account_id, first, last = account.pk, since.isoformat(), until.isoformat()
    transaction.on_commit(lambda: _enqueue(account_id, first, last))


def _within(status: dict, age: timedelta) -> bool:
    try:
        requested = datetime.fromisoformat(status["requested_at"])
    except (KeyError, TypeError, ValueError):
        return False
    return timezone.now() - requested < age


def _enqueue(account_id: int, since: str, until: str) -> None:
    from ..tasks import backfill_mailbox as task

    task.delay(account_id, since, until)


def run_backfill(account_id: int, since: str, until: str) -> None:
    """The task's body: run it and record the outcome; mail-server errors end as "failed"
    with the same sentence the settings page uses for a failed poll."""
    account = MailAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    _set_status(account_id, state="running", started_at=timezone.now().isoformat())
    try:
        result = backfill_mailbox(account, date.fromisoformat(since), date.fromisoformat(until))
    except Exception as exc:  # noqa: BLE001 - recorded for the admin, never lost in a log
        _set_status(
            account_id,
            state="failed",
            error=errors.describe_error(exc, account),
            finished_at=timezone.now().isoformat(),
        )
        return
    _set_status(
        account_id,
        state="done",
        found=result.found,
        imported=result.imported,
        finished_at=timezone.now().isoformat(),
    )
