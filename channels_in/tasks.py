"""Celery entry points: thin wrappers that look the row up and call a service."""

from celery import shared_task

from . import mailbox, services
from .mailbox import accounts


@shared_task(name="channels_in.tasks.process_inbound_event", ignore_result=True)
def process_inbound_event(event_id: int) -> None:
    services.process_inbound(event_id)


@shared_task(name="channels_in.tasks.process_inbound_events", ignore_result=True, queue="ingest")
def process_inbound_events(event_ids: list[int]) -> None:
    """A fetched batch of mail, filed in one transaction (channels_in.inbound_batch)."""
    from .inbound_batch import process_inbound_batch

    process_inbound_batch(event_ids)


@shared_task(name="channels_in.tasks.deliver_outbound", ignore_result=True)
def deliver_outbound(delivery_id: int) -> None:
    services.deliver(delivery_id)


@shared_task(name="channels_in.tasks.retry_pending_inbound", ignore_result=True)
def retry_pending_inbound() -> None:
    for event_id in services.events_due_for_retry():
        process_inbound_event.delay(event_id)


@shared_task(name="channels_in.tasks.retry_pending_outbound", ignore_result=True)
def retry_pending_outbound() -> None:
    for delivery_id in services.deliveries_due_for_retry():
        deliver_outbound.delay(delivery_id)


@shared_task(name="channels_in.tasks.poll_mailbox", ignore_result=True)
def poll_mailbox(account_id: int) -> None:
    # Mail-server errors are stored on the account by the service, never raised: a task
    # that raised would only be retried into the same wall.
    result = mailbox.poll_mailbox(account_id)
    if result.more:
        accounts.enqueue_poll(account_id)


@shared_task(name="channels_in.tasks.backfill_mailbox", ignore_result=True)
def backfill_mailbox(account_id: int, since: str, until: str) -> None:
    """An admin asked (settings page) to import a date range again; outcome kept for them."""
    from .mailbox.backfill import run_backfill

    run_backfill(account_id, since, until)


@shared_task(name="channels_in.tasks.poll_due_mailboxes", ignore_result=True)
def poll_due_mailboxes() -> None:
    for account_id in accounts.claim_due_mailboxes():
        accounts.enqueue_poll(account_id)


@shared_task(name="channels_in.tasks.poll_x_accounts", ignore_result=True)
def poll_x_accounts() -> None:
    """Beat tick: queue one poll per X account that polls instead of using webhooks."""
    from . import x_polling

    for account_id in x_polling.accounts_to_poll():
        poll_x_account.delay(account_id)


@shared_task(name="channels_in.tasks.poll_x_account", ignore_result=True)
def poll_x_account(account_id: int) -> None:
    from . import x_polling

    x_polling.poll_account(account_id)


@shared_task(
    bind=True, name="channels_in.tasks.fetch_identity_avatar", ignore_result=True, max_retries=5
)
def fetch_identity_avatar(self, kind: str, handle: str, account_id: int, url=None) -> None:
    """A sender's profile picture, after their message is filed (never on the ingest path)."""
    from . import social_avatars, social_http

    try:
        social_avatars.fetch_avatar(kind, handle, account_id, url)
    except social_http.ProviderUnavailable as exc:
        # 1, 2, 4, 8, 16 minutes: a platform's CDN hiccup, not worth more.
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="channels_in.tasks.poll_listening_monitors", ignore_result=True)
def poll_listening_monitors() -> None:
    """Beat tick: queue a search for every listening monitor that is due (and not paused
    by a rate limit)."""
    from .listening import polling

    for monitor_id in polling.monitors_due():
        poll_listening_monitor.delay(monitor_id)


@shared_task(name="channels_in.tasks.poll_listening_monitor", ignore_result=True)
def poll_listening_monitor(monitor_id: int) -> None:
    from .listening import polling

    polling.poll_monitor(monitor_id)
