"""The mailbox's Backfill page: an admin imports a date range of a real IMAP folder again,
sees the outcome, and gets a clear reason when the request cannot be done."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from django.core.cache import cache
from django.urls import reverse

from channels_in.models import InboundEvent
from tests.channels_in.mailbox_mail import customer_mail, message_id
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
JST = timezone(timedelta(hours=9))


@pytest.fixture
def admin_client(client):
    cache.clear()  # the backfill status lives in the cache
    client.force_login(UserFactory(role="admin"))
    client.cookies["django_language"] = "en"
    return client


def test_an_admin_backfills_a_range_and_sees_what_it_found(
    admin_client, dovecot, mail_account, django_capture_on_commit_callbacks
):
    for n, day in ((1, 1), (2, 2), (3, 3)):
        dovecot.append(customer_mail(n), arrived=datetime(2025, 6, day, 12, tzinfo=JST))
    account = mail_account()
    url = reverse("agent_settings:mailbox_backfill", args=[account.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Backfill a date range" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        started = admin_client.post(url, {"since": "2025-06-02", "until": "2025-06-03"})
    assert started.status_code == 302

    assert sorted(InboundEvent.objects.values_list("idempotency_key", flat=True)) == [
        message_id(2),
        message_id(3),
    ]
    html = admin_client.get(url).content.decode()
    assert 'data-backfill-state="done"' in html
    assert "Done: 2 mails in the range, 2 new." in html

    # The same range again imports nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"since": "2025-06-02", "until": "2025-06-03"})
    assert InboundEvent.objects.count() == 2
    assert "Done: 2 mails in the range, 0 new." in admin_client.get(url).content.decode()


def test_a_mail_server_error_is_shown_as_the_outcome(
    admin_client, dovecot, mail_account, django_capture_on_commit_callbacks
):
    account = mail_account(password="wrong-password")
    url = reverse("agent_settings:mailbox_backfill", args=[account.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"since": "2025-06-01", "until": "2025-06-02"})
    html = admin_client.get(url).content.decode()
    assert 'data-backfill-state="failed"' in html
    assert 'class="mailbox-error"' in html


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"since": "2025-06-03", "until": "2025-06-01"}, "The end date is before the start date."),
        ({"since": "2999-01-01", "until": "2999-01-02"}, "The start date is in the future."),
        ({"since": "1990-01-01", "until": "2025-01-01"}, "Backfill at most ten years at a time."),
        ({"since": "yesterday", "until": ""}, "Enter a valid date."),
        ({"since": "2025-06-01' OR 1=1 --", "until": "2025-06-02"}, "Enter a valid date."),
    ],
)
def test_impossible_ranges_are_refused_with_a_reason(
    admin_client, dovecot, mail_account, form, reason
):
    account = mail_account()
    response = admin_client.post(
        reverse("agent_settings:mailbox_backfill", args=[account.pk]), form
    )
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert cache.get(f"madoguchi:mailbox-backfill:{account.pk}") is None


def test_one_backfill_at_a_time_and_none_for_pop3(
    admin_client, dovecot, mail_account, django_capture_on_commit_callbacks
):
    account = mail_account()
    url = reverse("agent_settings:mailbox_backfill", args=[account.pk])
    admin_client.post(url, {"since": "2025-06-01", "until": "2025-06-02"})  # queued, not run
    again = admin_client.post(url, {"since": "2025-06-01", "until": "2025-06-02"})
    assert again.status_code == 400
    assert "A backfill of this mailbox is already running." in again.content.decode()

    pop3 = mail_account(protocol="pop3")
    response = admin_client.post(
        reverse("agent_settings:mailbox_backfill", args=[pop3.pk]),
        {"since": "2025-06-01", "until": "2025-06-02"},
    )
    assert response.status_code == 400
    assert "Only IMAP mailboxes can be backfilled by date." in response.content.decode()


def test_only_admins_may_backfill(client, dovecot, mail_account):
    account = mail_account()
    client.force_login(UserFactory(role="manager"))
    url = reverse("agent_settings:mailbox_backfill", args=[account.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"since": "2025-06-01", "until": "2025-06-02"}).status_code == 403
