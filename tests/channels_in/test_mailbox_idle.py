"""IMAP IDLE against a real Dovecot: the poll starts the moment mail arrives, and beat's
interval polling stays the safety net. No timing assertions: only "eventually" with a cap."""

from __future__ import annotations

import threading
import time

import pytest

from channels_in import mailbox
from channels_in.mailbox.errors import MailboxError
from channels_in.mailbox.idle import wait_for_mail, watch_mailbox
from channels_in.models import InboundEvent, InboundStatus
from tests.channels_in.mailbox_mail import customer_mail

WAIT = 20  # seconds before a test gives up waiting for the server


def idle_in_thread(account, **kwargs) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run() -> None:
        try:
            result["arrived"] = wait_for_mail(account, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the test thread
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def append_until_noticed(dovecot, thread, mail_number: int) -> None:
    """Append once IDLE had a moment to start; again if the first mail came too early."""
    for attempt in range(3):
        time.sleep(1.0)
        dovecot.append(customer_mail(mail_number + attempt))
        thread.join(timeout=WAIT / 3)
        if not thread.is_alive():
            return


@pytest.mark.django_db
def test_idle_returns_when_mail_arrives(mail_account, dovecot):
    account = mail_account()
    thread, result = idle_in_thread(account, timeout=WAIT)
    append_until_noticed(dovecot, thread, 1)

    assert not thread.is_alive()
    assert result == {"arrived": True}


@pytest.mark.django_db
def test_idle_ends_quietly_on_timeout_and_on_stop(mail_account):
    account = mail_account()
    assert wait_for_mail(account, timeout=1.5) is False

    stop = threading.Event()
    thread, result = idle_in_thread(account, timeout=WAIT, stop=stop)
    time.sleep(1)
    stop.set()
    thread.join(timeout=WAIT)
    assert result == {"arrived": False}


@pytest.mark.django_db
def test_idle_with_a_wrong_password_says_so(mail_account):
    account = mail_account(password="wrong-password")
    with pytest.raises(MailboxError):
        wait_for_mail(account, timeout=1)


@pytest.mark.django_db(transaction=True)
def test_watcher_polls_the_mailbox_when_mail_arrives(mail_account, dovecot):
    account = mail_account()
    dovecot.append(customer_mail(1))  # waiting before the watcher started
    polls: list[int] = []
    stop = threading.Event()

    def on_mail(account_id: int) -> None:
        polls.append(account_id)
        mailbox.poll_mailbox(account_id)

    thread = threading.Thread(
        target=watch_mailbox, args=(account.pk,), kwargs={"on_mail": on_mail, "stop": stop}
    )
    thread.start()
    try:
        deadline = time.monotonic() + WAIT
        while InboundEvent.objects.count() < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert InboundEvent.objects.count() == 1  # the start-up poll
        for attempt in range(3):
            time.sleep(1.0)
            dovecot.append(customer_mail(2 + attempt))
            deadline = time.monotonic() + WAIT / 3
            while InboundEvent.objects.count() < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            if InboundEvent.objects.count() >= 2:
                break
    finally:
        stop.set()
        thread.join(timeout=WAIT)

    assert not thread.is_alive()
    assert len(polls) >= 2 and set(polls) == {account.pk}
    assert InboundEvent.objects.filter(status=InboundStatus.PROCESSED).count() >= 2


@pytest.mark.django_db(transaction=True)
def test_the_watcher_process_follows_the_active_mailboxes(mail_account, dovecot):
    """`manage.py idle_mailboxes`' loop: a thread per active IMAP mailbox; mail arriving is
    polled through the same queue as "Poll now" (inline here: Celery runs eagerly)."""
    from channels_in.mailbox.idle import run_watchers

    account = mail_account()
    mail_account(protocol="pop3", active=True)  # POP3 has no IDLE: not watched
    started: list[int] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=run_watchers, args=(stop,), kwargs={"refresh": 0.5, "started": started.append}
    )
    thread.start()
    try:
        for attempt in range(3):
            time.sleep(1.5)
            dovecot.append(customer_mail(10 + attempt))
            deadline = time.monotonic() + WAIT / 3
            while not InboundEvent.objects.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            if InboundEvent.objects.exists():
                break
    finally:
        stop.set()
        thread.join(timeout=WAIT)

    assert not thread.is_alive()
    assert started == [account.pk]
    assert InboundEvent.objects.filter(status=InboundStatus.PROCESSED).exists()
