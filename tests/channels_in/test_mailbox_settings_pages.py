"""Agent settings → Mailboxes: admins manage, managers look, nobody ever sees a password."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_in.models import InboundEvent, MailAccount
from tests.channels_in.mailbox_mail import customer_mail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/agent/settings/mailboxes/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every test here creates staff users; the production hasher costs ~1 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role="admin"))
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager"))
    client.cookies["django_language"] = "en"
    return client


def form_data(mailbox, **overrides) -> dict:
    return {
        "name": "Support",
        "protocol": "imap",
        "host": mailbox.host,
        "port": str(mailbox.imap_port),
        "security": "none",
        "username": mailbox.user,
        "password": mailbox.password,
        "folder": "INBOX",
        "after_import": "mark_seen",
        "move_to": "",
        "poll_interval_seconds": "30",
        "active": "on",
        "action": "save",
        **overrides,
    }


def test_only_admins_and_managers_get_in(client, mail_account):
    account = mail_account()
    assert client.get(LIST).status_code == 302  # to the sign-in page
    for role in ("agent", "light_agent", "customer"):
        client.force_login(UserFactory(role=role))
        assert client.get(LIST).status_code == 403, role
        assert client.get(f"{LIST}{account.pk}/").status_code == 403, role


def test_the_list_shows_each_mailbox_and_its_health(admin_client, mail_account):
    healthy = mail_account(name="Support (ja)")
    broken = mail_account(name="Sales")
    MailAccount.objects.filter(pk=healthy.pk).update(
        last_polled_at=timezone.now(), imported_count=1234
    )
    MailAccount.objects.filter(pk=broken.pk).update(
        last_error="Authentication failed: the server refused the user name or password.",
        last_error_at=timezone.now(),
        last_polled_at=timezone.now(),
    )

    page = admin_client.get(LIST).content.decode()

    assert "Support (ja)" in page and "Sales" in page
    assert "1,234" in page
    assert "Authentication failed: the server refused the user name or password." in page
    assert "Add mailbox" in page and "Poll now" in page and "Test connection" in page


def test_the_list_takes_the_same_queries_for_one_or_many(
    admin_client, mail_account, django_assert_max_num_queries
):
    mail_account()
    admin_client.get(LIST)  # warm the session
    # session and user, the mailboxes, the header's unread-notification count, the held and
    # failed events waiting for an admin
    with django_assert_max_num_queries(5) as one:
        admin_client.get(LIST)
    for n in range(5):
        mail_account(name=f"Box {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        admin_client.get(LIST)


def test_managers_see_but_cannot_change(manager_client, mail_account):
    account = mail_account()

    page = manager_client.get(LIST).content.decode()
    detail = manager_client.get(f"{LIST}{account.pk}/").content.decode()

    assert account.name in page and "Add mailbox" not in page and "Poll now" not in page
    assert "Only admins can change mailboxes" in page
    assert "<fieldset" in detail and " disabled>" in detail
    for url in ("", "test/", "poll/", "active/", "delete/"):
        assert manager_client.post(f"{LIST}{account.pk}/{url}").status_code == 403, url
    assert manager_client.get(f"{LIST}new/").status_code == 403


def test_an_admin_adds_a_mailbox_with_an_encrypted_password(admin_client, dovecot):
    response = admin_client.post(f"{LIST}new/", form_data(dovecot, port=""))

    assert response.status_code == 302 and response["Location"] == LIST
    account = MailAccount.objects.get()
    assert account.port == 143  # the usual IMAP port for the blank field
    assert account.password_encrypted and dovecot.password not in account.password_encrypted
    assert account.get_password() == dovecot.password
    edit = admin_client.get(f"{LIST}{account.pk}/").content.decode()
    assert dovecot.password not in edit
    assert 'name="password"' in edit and "Leave empty to keep the current one" in edit


def test_a_blank_password_keeps_the_stored_one(admin_client, dovecot, mail_account):
    account = mail_account()

    admin_client.post(f"{LIST}{account.pk}/", form_data(dovecot, name="Renamed", password=""))

    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.get_password() == dovecot.password


def test_a_new_mailbox_needs_a_password_and_a_move_needs_a_folder(admin_client, dovecot):
    response = admin_client.post(
        f"{LIST}new/", form_data(dovecot, password="", after_import="move")
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["password"] == ["Enter the mailbox password."]
    assert errors["move_to"] == ["Name the folder imported mail is moved to."]
    pop3 = admin_client.post(
        f"{LIST}new/", form_data(dovecot, protocol="pop3", after_import="move", move_to="X")
    )
    assert "POP3 has no folders" in pop3.context["form"].errors["after_import"][0]
    assert not MailAccount.objects.exists()


def test_test_connection_on_the_form_tries_the_typed_values_without_saving(admin_client, dovecot):
    dovecot.append(customer_mail(1))

    good = admin_client.post(f"{LIST}new/", form_data(dovecot, action="test"))
    bad = admin_client.post(f"{LIST}new/", form_data(dovecot, action="test", password="nope"))

    assert "Connected and signed in. The folder “INBOX” holds 1 message." in good.content.decode()
    assert "Authentication failed" in bad.content.decode()
    assert not MailAccount.objects.exists()


def test_test_connection_on_the_list_shows_the_clear_error(admin_client, mail_account):
    account = mail_account(password="wrong")

    response = admin_client.post(f"{LIST}{account.pk}/test/", follow=True)

    page = response.content.decode()
    assert f"{account.name}: Authentication failed" in page
    assert response.redirect_chain[-1][0] == LIST


def test_poll_now_queues_a_poll(
    admin_client, dovecot, mail_account, django_capture_on_commit_callbacks
):
    account = mail_account()
    dovecot.append(customer_mail(1))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{LIST}{account.pk}/poll/", {"from": "edit"})

    assert response["Location"] == reverse("agent_settings:mailbox_edit", args=[account.pk])
    assert InboundEvent.objects.count() == 1  # eager Celery ran the queued poll


def test_pause_and_activate(admin_client, mail_account):
    account = mail_account()

    admin_client.post(f"{LIST}{account.pk}/active/", {"active": "0"})
    account.refresh_from_db()
    assert not account.active
    assert "Poll now" not in admin_client.get(LIST).content.decode()

    admin_client.post(f"{LIST}{account.pk}/active/", {"active": "1"})
    account.refresh_from_db()
    assert account.active


def test_delete_asks_first(admin_client, mail_account):
    account = mail_account()

    confirm = admin_client.get(f"{LIST}{account.pk}/delete/")
    assert confirm.status_code == 200
    assert f"Delete the mailbox “{account.name}”?" in confirm.content.decode()
    assert MailAccount.objects.exists()

    response = admin_client.post(f"{LIST}{account.pk}/delete/")
    assert response.status_code == 302
    assert not MailAccount.objects.exists()


def test_the_japanese_page_is_translated(client, mail_account):
    mail_account()
    client.force_login(UserFactory(role="admin"))
    client.cookies["django_language"] = "ja"

    page = client.get(LIST).content.decode()

    assert "メールボックス" in page
    assert "Mailboxes" not in page
