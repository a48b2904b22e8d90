"""Writes on mailbox accounts (settings page) and the choice of which mailboxes to poll now."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import MailAccount

# A poll queued this long ago without starting was lost (worker down, broker flushed): queue
# another. Until then beat does not pile up polls for a mailbox nobody is polling.
REQUEST_LOST_AFTER = timedelta(minutes=5)


@transaction.atomic
def save_mail_account(account: MailAccount, *, password: str = "") -> MailAccount:
    """Create or update; a blank password keeps the stored one (forms never show it back)."""
    if password:
        account.set_password(password)
    account.full_clean()
    account.save()
    return account


def set_mail_account_active(account: MailAccount, *, active: bool) -> MailAccount:
    account.active = active
    # A poll queued before the pause found the mailbox inactive and did nothing: forget it,
    # so beat polls a re-activated mailbox at once instead of waiting for it to look lost.
    account.poll_requested_at = None
    account.save(update_fields=["active", "poll_requested_at", "updated_at"])
    return account


def delete_mail_account(account: MailAccount) -> None:
    """Its checkpoints go with it; the mail already imported stays (events and tickets)."""
    account.delete()


def request_poll(account: MailAccount) -> None:
    """Queue a poll now (the "Poll now" button); it runs on the `ingest` queue."""
    MailAccount.objects.filter(pk=account.pk).update(poll_requested_at=timezone.now())
    transaction.on_commit(lambda: enqueue_poll(account.pk))


def claim_due_mailboxes(now: datetime | None = None) -> list[int]:
    """Ids of active mailboxes whose interval has passed, marked as requested."""
    now = now or timezone.now()
    candidates = MailAccount.objects.filter(active=True).only(
        "pk", "active", "poll_interval_seconds", "last_polled_at", "poll_requested_at"
    )
    due = [account.pk for account in candidates if is_due(account, now)]
    if due:
        MailAccount.objects.filter(pk__in=due).update(poll_requested_at=now)
    return due


def is_due(account: MailAccount, now: datetime) -> bool:
    if not account.active:
        return False
    interval = timedelta(seconds=account.poll_interval_seconds)
    last, requested = account.last_polled_at, account.poll_requested_at
    if last is not None and now - last < interval:
        return False
    if requested is not None and (last is None or requested > last):
        # A poll is queued or running already; ask again only once it looks lost.
        return now - requested >= max(interval, REQUEST_LOST_AFTER)
    return True


def enqueue_poll(account_id: int) -> None:
    from ..tasks import poll_mailbox

    # A poll that waited longer than REQUEST_LOST_AFTER is replaced by a fresh one anyway.
    poll_mailbox.apply_async((account_id,), expires=REQUEST_LOST_AFTER.total_seconds())
