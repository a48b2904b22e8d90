"""One poller per mailbox, and a poll that dies half-way loses nothing and doubles nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from channels_in import inbound_batch
from channels_in.mailbox import poll as poll_module
from channels_in.mailbox import poll_mailbox
from channels_in.models import InboundEvent, MailboxCheckpoint
from tests.channels_in.mailbox_mail import customer_mail


@pytest.mark.django_db(transaction=True)
def test_a_second_concurrent_poll_is_busy_at_once(dovecot, mail_account, monkeypatch):
    dovecot.append_many([customer_mail(1), customer_mail(2)])
    account = mail_account()
    inside, release = threading.Event(), threading.Event()
    real_record = inbound_batch.record_raw_mails

    def slow_record(raws, **kwargs):
        inside.set()
        assert release.wait(10), "the test never let the first poll go on"
        return real_record(raws, **kwargs)

    monkeypatch.setattr(inbound_batch, "record_raw_mails", slow_record)
    results = {}

    def first_poll():
        try:
            results["first"] = poll_mailbox(account.pk)
        finally:
            connection.close()  # this thread's own connection (and its advisory lock)

    worker = threading.Thread(target=first_poll)
    worker.start()
    try:
        assert inside.wait(10), "the first poll did not start fetching"
        results["second"] = poll_mailbox(account.pk)
    finally:
        release.set()
        worker.join(20)

    assert results["second"].status == "busy"
    assert (results["first"].status, results["first"].imported) == ("ok", 2)
    assert poll_mailbox(account.pk).status == "ok"  # the lock was released
    assert InboundEvent.objects.count() == 2


@pytest.mark.django_db
def test_a_poll_that_dies_before_acting_on_the_server_is_finished_by_the_next(
    dovecot, mail_account, monkeypatch, django_capture_on_commit_callbacks
):
    """Stored and checkpointed, but never moved: the next poll moves exactly those mails."""
    dovecot.create_folder("Done")
    dovecot.append(customer_mail(1))
    account = mail_account(after_import="move", move_to="Done")
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_mailbox(account.pk).imported == 1
    dovecot.append_many([customer_mail(2), customer_mail(3)])
    # Kept in INBOX by hand after import, before the switch: must never be moved by the fix-up.
    dovecot.append(customer_mail(4), folder="Done")

    def connection_lost(client, account, uids):
        raise OSError("connection reset by peer")

    with monkeypatch.context() as patched:
        patched.setattr(poll_module.imap, "apply_after_import", connection_lost)
        with django_capture_on_commit_callbacks(execute=True):
            failed = poll_mailbox(account.pk)
    checkpoint = MailboxCheckpoint.objects.get(account=account)
    assert failed.status == "error"
    assert (checkpoint.last_uid, checkpoint.acted_uid) == (3, 1)
    assert dovecot.uids("INBOX") == [2, 3]

    with django_capture_on_commit_callbacks(execute=True):
        retried = poll_mailbox(account.pk)

    checkpoint.refresh_from_db()
    assert (retried.status, retried.fetched, retried.imported) == ("ok", 0, 0)
    assert (checkpoint.last_uid, checkpoint.acted_uid) == (3, 3)
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Done")) == 4
    assert InboundEvent.objects.count() == 3


@pytest.mark.django_db
def test_a_switch_to_delete_never_touches_mail_imported_before(
    dovecot, mail_account, django_capture_on_commit_callbacks
):
    dovecot.append_many([customer_mail(1), customer_mail(2)])
    account = mail_account()
    with django_capture_on_commit_callbacks(execute=True):
        poll_mailbox(account.pk)

    account.after_import = "delete"
    account.save()
    dovecot.append(customer_mail(3))
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_mailbox(account.pk).imported == 1

    assert dovecot.uids() == [1, 2]
