"""`manage.py backfill_mailbox`: a date range read again, nothing duplicated, nothing moved."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from channels_in import services
from channels_in.models import InboundEvent, MailboxCheckpoint
from tests.channels_in.mailbox_mail import customer_mail, message_id

pytestmark = pytest.mark.django_db
JST = timezone(timedelta(hours=9))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_backfill_stores_the_range_once_and_leaves_the_mailbox_alone(dovecot, mail_account):
    for n, day in ((1, 1), (2, 2), (3, 3), (4, 5)):
        dovecot.append(customer_mail(n), arrived=datetime(2025, 6, day, 12, tzinfo=JST))
    account = mail_account()
    # The poller is past all of them (say, they were imported by the system we replace) …
    MailboxCheckpoint.objects.create(
        account=account, folder="INBOX", uidvalidity=dovecot.uidvalidity(), last_uid=4
    )
    # … and one of the range is stored already.
    services.record_raw_mail(customer_mail(2), source="earlier")
    out = StringIO()

    call_command(
        "backfill_mailbox", str(account.pk), "--since", "2025-06-02", "--until", "2025-06-03",
        stdout=out,
    )  # fmt: skip

    assert out.getvalue().strip() == "2 mails in the range, 1 new, 1 already imported."
    assert sorted(InboundEvent.objects.values_list("idempotency_key", flat=True)) == [
        message_id(2),
        message_id(3),
    ]
    assert MailboxCheckpoint.objects.get(account=account).last_uid == 4
    assert dovecot.uids(criteria="UNSEEN") == [1, 2, 3, 4]  # read with EXAMINE: still unread
    account.refresh_from_db()
    assert account.imported_count == 1


def test_backfill_refuses_what_it_cannot_do(dovecot, mail_account):
    pop3 = mail_account(protocol="pop3")

    with pytest.raises(CommandError, match="Only IMAP mailboxes can be backfilled"):
        call_command("backfill_mailbox", str(pop3.pk), "--since", "2025-06-01")
    with pytest.raises(CommandError, match="No mailbox with id 999999"):
        call_command("backfill_mailbox", "999999", "--since", "2025-06-01")
    with pytest.raises(CommandError, match="is not a date"):
        call_command("backfill_mailbox", str(pop3.pk), "--since", "June 1st")
    imap = mail_account(password="wrong")
    with pytest.raises(CommandError, match="Authentication failed"):
        call_command("backfill_mailbox", str(imap.pk), "--since", "2025-06-01")
