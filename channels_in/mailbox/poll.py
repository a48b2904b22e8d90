"""`poll_mailbox`: import what arrived since the checkpoint, one poller per mailbox at a time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import inbound_batch
from ..models import MailAccount, MailboxCheckpoint, MailProtocol
from . import imap, pop3
from .errors import describe_error
from .lock import mailbox_lock

log = logging.getLogger(__name__)

BATCH_SIZE = 50
# A poll stops after this many mails and asks for another right away, so a mailbox that
# was down for a week catches up in steps that each finish (and free the worker) quickly.
MAX_MAILS_PER_POLL = 1000


@dataclass(frozen=True)
class PollResult:
    status: str  # "ok", "busy" (another poller has it), "error", "inactive", "missing"
    fetched: int = 0
    imported: int = 0  # new events; the rest were duplicates
    more: bool = False  # stopped at MAX_MAILS_PER_POLL: poll again now
    error: str = ""


def poll_mailbox(account_id: int) -> PollResult:
    """Import new mail of one mailbox. Never raises for mail-server trouble: the error is
    stored on the account (`last_error`) and logged, and the next poll simply tries again."""
    with mailbox_lock(account_id) as acquired:
        if not acquired:
            return PollResult(status="busy")
        account = MailAccount.objects.filter(pk=account_id).first()
        if account is None:
            return PollResult(status="missing")
        if not account.active:
            return PollResult(status="inactive")
        try:
            if account.protocol == MailProtocol.POP3:
                outcome = pop3.poll_pop3(account, limit=MAX_MAILS_PER_POLL)
                result = PollResult(status="ok", **outcome)
            else:
                result = _poll_imap(account, limit=MAX_MAILS_PER_POLL)
        except Exception as exc:  # noqa: BLE001 - any failure is shown to the admin, not raised
            message = describe_error(exc, account)
            log.warning("mailbox %s (%s) poll failed: %s", account.pk, account.name, message)
            _record_outcome(account.pk, error=message)
            return PollResult(status="error", error=message)
        _record_outcome(account.pk)
        if result.imported:
            log.info("mailbox %s: imported %d new mails", account.pk, result.imported)
        return result


def _poll_imap(account: MailAccount, *, limit: int) -> PollResult:
    with imap.open_imap(account) as client:
        folder = imap.select_folder(client, account.folder, readonly=False)
        checkpoint = checkpoint_for(account, folder.name, folder.uidvalidity)
        _finish_interrupted_actions(client, account, checkpoint)
        pending = imap.uids_after(client, checkpoint.last_uid)
        imported = 0
        for batch in _chunks(pending[:limit], BATCH_SIZE):
            fetched = imap.fetch_raw(client, batch)
            done = [uid for uid, _raw in fetched]
            # Raws and checkpoint commit together (one INSERT for the batch; its processing
            # is queued as one task after the commit), then the server-side action: a crash
            # before the commit re-reads the batch, one after it re-acts on it only.
            with transaction.atomic():
                created = inbound_batch.record_raw_mails(
                    [raw for _uid, raw in fetched], source=f"imap:{account.pk}"
                )
                if done:
                    advance_checkpoint(checkpoint, max(done), imported=sum(created))
            imported += sum(created)
            imap.apply_after_import(client, account, done)
            _mark_acted(checkpoint, max(batch))
    return PollResult(
        status="ok", fetched=min(len(pending), limit), imported=imported, more=len(pending) > limit
    )


def checkpoint_for(account: MailAccount, folder: str, uidvalidity: int) -> MailboxCheckpoint:
    checkpoint, _created = MailboxCheckpoint.objects.get_or_create(
        account=account, folder=folder, defaults={"uidvalidity": uidvalidity}
    )
    if checkpoint.uidvalidity != uidvalidity:
        # The server renumbered the folder (recreated, restored, migrated): old UIDs mean
        # nothing now. Read it all again; Message-ID deduplication keeps what we have.
        log.warning(
            "mailbox %s folder %r: UIDVALIDITY %s → %s, reading the folder again",
            account.pk, folder, checkpoint.uidvalidity, uidvalidity,
        )  # fmt: skip
        checkpoint.uidvalidity = uidvalidity
        checkpoint.last_uid = checkpoint.acted_uid = 0
        checkpoint.save(update_fields=["uidvalidity", "last_uid", "acted_uid", "updated_at"])
    return checkpoint


def advance_checkpoint(checkpoint: MailboxCheckpoint, uid: int, *, imported: int) -> None:
    """Past `uid`; `imported` new mails counted on the account."""
    with transaction.atomic():
        MailboxCheckpoint.objects.filter(pk=checkpoint.pk).update(
            last_uid=uid, updated_at=timezone.now()
        )
        if imported:
            MailAccount.objects.filter(pk=checkpoint.account_id).update(
                imported_count=F("imported_count") + int(imported)
            )
    checkpoint.last_uid = uid


def _mark_acted(checkpoint: MailboxCheckpoint, uid: int) -> None:
    acted = min(uid, checkpoint.last_uid)
    MailboxCheckpoint.objects.filter(pk=checkpoint.pk).update(acted_uid=acted)
    checkpoint.acted_uid = acted


def _finish_interrupted_actions(
    client, account: MailAccount, checkpoint: MailboxCheckpoint
) -> None:
    """A poll that died after storing mail but before acting on it left a gap; close it."""
    if checkpoint.acted_uid >= checkpoint.last_uid:
        return
    left = imap.uids_in_range(client, checkpoint.acted_uid + 1, checkpoint.last_uid)
    for batch in _chunks(left, BATCH_SIZE):
        imap.apply_after_import(client, account, batch)
    _mark_acted(checkpoint, checkpoint.last_uid)


def _record_outcome(account_id: int, *, error: str = "") -> None:
    now = timezone.now()
    MailAccount.objects.filter(pk=account_id).update(
        last_polled_at=now, last_error=error[:5000], last_error_at=now if error else None
    )


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
