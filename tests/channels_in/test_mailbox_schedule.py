"""Beat's tick: which mailboxes are due, and the tasks that poll them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_in import tasks
from channels_in.mailbox.accounts import (
    REQUEST_LOST_AFTER,
    claim_due_mailboxes,
    is_due,
    request_poll,
)
from channels_in.models import InboundEvent, MailAccount
from helpdesk.celery import app as celery_app
from tests.channels_in.mailbox_mail import customer_mail

NOW = timezone.now()


@pytest.mark.parametrize(
    ("fields", "due"),
    [
        ({}, True),  # never polled
        ({"last_polled_at": NOW - timedelta(seconds=31)}, True),
        ({"last_polled_at": NOW - timedelta(seconds=5)}, False),
        ({"active": False}, False),
        # queued and not started yet: not again …
        ({"poll_requested_at": NOW - timedelta(seconds=40)}, False),
        # … unless that request looks lost
        ({"poll_requested_at": NOW - REQUEST_LOST_AFTER}, True),
        # polled after the last request: the interval alone decides
        (
            {
                "poll_requested_at": NOW - timedelta(seconds=60),
                "last_polled_at": NOW - timedelta(seconds=45),
            },
            True,
        ),
    ],
)
def test_is_due(fields, due):
    values = {"active": True, **fields}
    mailbox = MailAccount(poll_interval_seconds=30, **values)
    assert is_due(mailbox, NOW) is due


def test_the_routes_and_the_beat_entry():
    routes = celery_app.conf.task_routes
    assert routes["channels_in.tasks.poll_mailbox"] == {"queue": "ingest"}
    assert routes["channels_in.tasks.poll_due_mailboxes"] == {"queue": "ingest"}
    entry = celery_app.conf.beat_schedule["poll-due-mailboxes"]
    assert (entry["task"], entry["schedule"]) == ("channels_in.tasks.poll_due_mailboxes", 10.0)


@pytest.mark.django_db
def test_a_claimed_mailbox_is_not_claimed_again_until_it_was_polled(mail_account):
    mailbox = mail_account()

    assert claim_due_mailboxes() == [mailbox.pk]
    assert claim_due_mailboxes() == []
    mailbox.refresh_from_db()
    assert mailbox.poll_requested_at is not None


@pytest.mark.django_db
def test_the_beat_task_polls_the_due_mailboxes_only(
    dovecot_server, mail_account, django_capture_on_commit_callbacks
):
    due_box, recent_box = dovecot_server.add_mailbox(), dovecot_server.add_mailbox()
    due_box.append(customer_mail(1))
    recent_box.append(customer_mail(2))
    due = mail_account(due_box)
    recent = mail_account(recent_box)
    MailAccount.objects.filter(pk=recent.pk).update(last_polled_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        tasks.poll_due_mailboxes()  # eager Celery: the polls it queues run right here

    assert [e.headers["source"] for e in InboundEvent.objects.all()] == [f"imap:{due.pk}"]


@pytest.mark.django_db
def test_a_failing_mailbox_does_not_make_the_task_fail(dovecot, mail_account):
    broken = mail_account(password="wrong")

    tasks.poll_mailbox(broken.pk)  # returns quietly

    broken.refresh_from_db()
    assert broken.last_error


@pytest.mark.django_db
def test_poll_now_queues_a_poll_after_commit(
    dovecot, mail_account, django_capture_on_commit_callbacks
):
    mailbox = mail_account()
    dovecot.append(customer_mail(1))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request_poll(mailbox)

    assert len(callbacks) >= 1
    mailbox.refresh_from_db()
    assert mailbox.poll_requested_at is not None and mailbox.imported_count == 1
