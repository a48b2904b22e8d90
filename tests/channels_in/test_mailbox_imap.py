"""Polling a real IMAP server (a private Dovecot): checkpoint, after-import actions, UIDVALIDITY,
batches, Japanese mail from the corpus."""

from __future__ import annotations

import pytest

from channels_in.mailbox import poll as poll_module
from channels_in.mailbox import poll_mailbox
from channels_in.models import InboundEvent, InboundStatus, MailAccount, MailboxCheckpoint
from tests.channels_in.mailbox_mail import customer_mail, message_id
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll(django_capture_on_commit_callbacks):
    """Poll the way the worker does, and let the queued processing run (eager Celery)."""

    def poll(account: MailAccount):
        with django_capture_on_commit_callbacks(execute=True):
            result = poll_mailbox(account.pk)
        account.refresh_from_db()
        return result

    return poll


def checkpoint(account: MailAccount, folder: str = "INBOX") -> tuple[int, int]:
    found = MailboxCheckpoint.objects.get(account=account, folder=folder)
    return found.uidvalidity, found.last_uid


def test_first_poll_imports_every_mail_with_its_exact_bytes(dovecot, mail_account, poll):
    mails = [customer_mail(n) for n in (1, 2, 3)]
    dovecot.append_many(mails)
    account = mail_account()

    result = poll(account)

    assert (result.status, result.fetched, result.imported) == ("ok", 3, 3)
    events = InboundEvent.objects.order_by("pk")
    assert [bytes(e.payload) for e in events] == mails
    assert [e.idempotency_key for e in events] == [message_id(n) for n in (1, 2, 3)]
    assert {e.status for e in events} == {InboundStatus.PROCESSED}
    assert {e.headers["source"] for e in events} == {f"imap:{account.pk}"}
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "問い合わせ 1",
        "問い合わせ 2",
        "問い合わせ 3",
    ]
    assert checkpoint(account) == (dovecot.uidvalidity(), 3)
    assert (account.imported_count, account.last_error) == (3, "")
    assert account.last_polled_at is not None
    # mark-seen (the default) happened on the server
    assert dovecot.uids(criteria="UNSEEN") == []
    assert dovecot.uids(criteria="SEEN") == [1, 2, 3]


def test_a_second_poll_imports_nothing_and_new_mail_is_picked_up(dovecot, mail_account, poll):
    dovecot.append_many([customer_mail(1), customer_mail(2)])
    account = mail_account()
    poll(account)

    again = poll(account)
    assert (again.status, again.fetched, again.imported) == ("ok", 0, 0)

    dovecot.append(customer_mail(3))
    later = poll(account)

    assert (later.fetched, later.imported) == (1, 1)
    assert InboundEvent.objects.count() == 3 and Message.objects.count() == 3
    assert checkpoint(account)[1] == 3
    assert account.imported_count == 3


def test_mail_is_moved_to_a_japanese_folder_after_import(dovecot, mail_account, poll):
    dovecot.create_folder("処理済み")
    dovecot.append_many([customer_mail(1), customer_mail(2)])
    account = mail_account(after_import="move", move_to="処理済み")

    result = poll(account)

    assert result.imported == 2
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("処理済み")) == 2
    # Moved mail is past the checkpoint's UIDs in INBOX: the next poll finds nothing.
    dovecot.append(customer_mail(3))
    assert poll(account).imported == 1
    assert len(dovecot.uids("処理済み")) == 3


def test_mail_is_deleted_from_the_server_after_import(dovecot, mail_account, poll):
    dovecot.append_many([customer_mail(1), customer_mail(2)])
    account = mail_account(after_import="delete")

    assert poll(account).imported == 2

    assert dovecot.uids() == []
    assert checkpoint(account)[1] == 2
    assert Ticket.objects.count() == 2


def test_a_new_uidvalidity_resets_the_checkpoint_and_duplicates_are_recognised(
    dovecot, mail_account, poll
):
    dovecot.create_folder("Support")
    dovecot.append_many([customer_mail(1), customer_mail(2)], folder="Support")
    account = mail_account(folder="Support")
    poll(account)
    old_validity = checkpoint(account, "Support")[0]

    # The server renumbers the folder (here: recreated, as a restore or migration would).
    dovecot.delete_folder("Support")
    dovecot.create_folder("Support")
    dovecot.append_many([customer_mail(1), customer_mail(2), customer_mail(3)], folder="Support")
    new_validity = dovecot.uidvalidity("Support")
    assert new_validity != old_validity

    result = poll(account)

    assert (result.fetched, result.imported) == (3, 1)
    assert checkpoint(account, "Support") == (new_validity, 3)
    assert InboundEvent.objects.count() == 3
    assert Message.objects.count() == 3


def test_more_mail_than_a_batch_is_fetched_in_batches(dovecot, mail_account, poll, monkeypatch):
    monkeypatch.setattr(poll_module, "BATCH_SIZE", 5)
    fetched_batches = []
    real_fetch = poll_module.imap.fetch_raw

    def fetch_raw(client, uids):
        fetched_batches.append(list(uids))
        return real_fetch(client, uids)

    monkeypatch.setattr(poll_module.imap, "fetch_raw", fetch_raw)
    dovecot.append_many([customer_mail(n) for n in range(1, 13)])
    account = mail_account()

    result = poll(account)

    assert (result.fetched, result.imported) == (12, 12)
    assert fetched_batches == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]
    assert checkpoint(account)[1] == 12
    assert set(InboundEvent.objects.values_list("idempotency_key", flat=True)) == {
        message_id(n) for n in range(1, 13)
    }


def test_a_poll_stops_at_its_limit_and_says_there_is_more(dovecot, mail_account, poll, monkeypatch):
    monkeypatch.setattr(poll_module, "MAX_MAILS_PER_POLL", 4)
    dovecot.append_many([customer_mail(n) for n in range(1, 7)])
    account = mail_account()

    first = poll(account)
    second = poll(account)

    assert (first.fetched, first.more, second.fetched, second.more) == (4, True, 2, False)
    assert checkpoint(account)[1] == 6
    assert InboundEvent.objects.count() == 6


def test_japanese_iso_2022_jp_mail_from_the_corpus_arrives_decoded(
    dovecot, mail_account, poll, corpus
):
    raw = (corpus / "zammad-mail" / "mail091.box").read_bytes()
    dovecot.append(raw)
    account = mail_account()

    poll(account)

    (event,) = InboundEvent.objects.all()
    assert event.status == InboundStatus.PROCESSED, event.error
    assert bytes(event.payload).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    ticket = Ticket.objects.get()
    assert ticket.subject == "メルマガ解除"
    assert ticket.customer.name == "岡本和正"
    assert ticket.identity.handle == "mail@domain.jp"
    assert "このアドレスへのメルマガを解除してください。" in ticket.messages.get().body_text


def test_a_non_ascii_password_signs_in(dovecot_server, mail_account, poll):
    mailbox = dovecot_server.add_mailbox(password="窓口-パスワード")
    mailbox.append(customer_mail(1))
    account = mail_account(mailbox)

    result = poll(account)

    assert (result.status, result.imported) == ("ok", 1), result.error


def test_an_inactive_mailbox_is_not_polled(dovecot, mail_account, poll):
    dovecot.append(customer_mail(1))
    account = mail_account(active=False)

    assert poll(account).status == "inactive"
    assert not InboundEvent.objects.exists()
