"""Read receipts in the ticket timeline; held and failed events on the channel settings pages
with Release / Retry (the same code as `manage.py release_inbound` / `replay_inbound`)."""

# ruff: noqa: F811 (fixtures imported from the per-platform test modules)
from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from channels_in import services
from channels_in.models import DeliveryStatus, InboundEvent, InboundStatus, OutboundDelivery
from customers.services import customer_block, customer_unblock
from tests.channels_in.social.provider import Reply
from tests.channels_in.social.test_telegram import BOT, bot_api, update  # noqa: F401 (fixture)
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets.models import AuthorKind, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role="admin", name="Ada Admin"))
    return client


def _sent_reply(receipt: str):
    ticket = TicketFactory(channel="whatsapp")
    MessageFactory(ticket=ticket)
    reply = MessageFactory(ticket=ticket, author_kind=AuthorKind.AGENT, body_text="確認します")
    OutboundDelivery.objects.create(
        message=reply,
        kind="whatsapp",
        recipient="+819012345678",
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        receipt=receipt,
        receipt_at=timezone.now() if receipt else None,
    )
    return ticket


@pytest.mark.parametrize(
    ("receipt", "shown"), [("read", "Read"), ("delivered", "Delivered"), ("", None)]
)
def test_the_timeline_shows_what_the_platform_reported(agent_client, receipt, shown):
    ticket = _sent_reply(receipt)
    html = agent_client.get(
        reverse("tickets:detail", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    if shown:
        assert f'data-receipt="{receipt}"' in html
        footer = html.split(f'data-receipt="{receipt}"', 1)[1].split("</span>", 1)[0]
        assert shown in footer
    else:
        assert "data-receipt=" not in html
    assert "Sent to +819012345678" in html


# --- held and failed events -------------------------------------------------------------------


def test_held_label_is_short():
    from django.utils import translation

    with translation.override("en"):
        assert str(InboundStatus.HELD.label) == "Held"


def test_failed_event_is_listed_and_retry_files_it(
    make_account, post_webhook, bot_api, admin_client
):
    account = make_account("telegram")
    bot_api.route("GET", f"{BOT}/getFile", Reply(502, b"bad gateway"))
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}]
    post_webhook(account, update(text="hello", photo=photo))
    event = InboundEvent.objects.get()
    assert event.status == InboundStatus.FAILED and Ticket.objects.count() == 0

    page = admin_client.get(reverse("agent_settings:social_accounts"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Held and failed events" in html
    assert f'data-event="{event.pk}"' in html and "Test telegram" in html
    assert reverse("agent_settings:inbound_retry", args=[event.pk]) in html

    bot_api.routes.pop(0)  # Telegram is back
    response = admin_client.post(
        reverse("agent_settings:inbound_retry", args=[event.pk]),
        {"from": "social"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("agent_settings:social_accounts")
    assert f"Event {event.pk} was filed." in response.content.decode()
    event.refresh_from_db()
    assert event.status == InboundStatus.PROCESSED
    assert Ticket.objects.get().messages.get().attachments.count() == 1
    assert "None: every event became a ticket message." in response.content.decode()

    # Retrying twice (a double click, a stale page) changes nothing and says so.
    again = admin_client.post(
        reverse("agent_settings:inbound_retry", args=[event.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert f"Event {event.pk} has not failed (any more)." in again.content.decode()
    assert Ticket.objects.get().messages.count() == 1


def test_held_event_of_a_blocked_sender_is_released_once_unblocked(
    make_account, post_webhook, bot_api, admin_client
):
    account = make_account("telegram")
    post_webhook(account, update(text="first"))
    customer = Ticket.objects.get().customer
    customer_block(customer=customer, reason="abuse")
    post_webhook(account, update(10002, text="second"))
    held = InboundEvent.objects.get(status=InboundStatus.HELD)
    url = reverse("agent_settings:inbound_release", args=[held.pk])
    assert url in admin_client.get(reverse("agent_settings:social_accounts")).content.decode()

    still = admin_client.post(url, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert f"Event {held.pk} is held again" in still.content.decode()
    held.refresh_from_db()
    assert held.status == InboundStatus.HELD

    customer_unblock(customer=customer)
    admin_client.post(url)
    held.refresh_from_db()
    assert held.status == InboundStatus.PROCESSED
    assert Ticket.objects.get().messages.count() == 2


def _auto_reply() -> bytes:
    message = EmailMessage()
    message["From"] = "Taro <taro@example.jp>"
    message["To"] = "support@madoguchi.localhost"
    message["Subject"] = "自動応答: 注文について"
    message["Auto-Submitted"] = "auto-replied"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.jp>"
    message.set_content("不在です。")
    return message.as_bytes()


def test_mailbox_page_lists_held_mail_and_release_files_it(admin_client):
    event, _created = services.record_raw_mail(_auto_reply(), source="imap:999")
    event = services.process_inbound(event.pk)
    assert event.status == InboundStatus.HELD

    html = admin_client.get(
        reverse("agent_settings:mailboxes"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f'data-event="{event.pk}"' in html and "Automatic mail" in html
    response = admin_client.post(
        reverse("agent_settings:inbound_release", args=[event.pk]),
        {"from": "mailboxes"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302 and response.url == reverse("agent_settings:mailboxes")
    event.refresh_from_db()
    assert event.status == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 1


def test_managers_see_the_list_but_cannot_act_and_get_only_posts(client, make_account):
    event = InboundEvent.objects.create(
        kind="telegram", idempotency_key="k1", payload=b"{", status=InboundStatus.FAILED
    )
    client.force_login(UserFactory(role="manager"))
    html = client.get(reverse("agent_settings:social_accounts")).content.decode()
    assert f'data-event="{event.pk}"' in html
    assert reverse("agent_settings:inbound_retry", args=[event.pk]) not in html
    assert client.post(reverse("agent_settings:inbound_retry", args=[event.pk])).status_code == 403
    client.force_login(UserFactory(role="admin"))
    url = reverse("agent_settings:inbound_retry", args=[event.pk])
    assert client.get(url).status_code == 405
    assert client.post(reverse("agent_settings:inbound_retry", args=[10**9])).status_code == 302


def test_release_command_uses_the_same_service(capsys):
    event, _created = services.record_raw_mail(_auto_reply(), source="pop3:1")
    services.process_inbound(event.pk)
    call_command("release_inbound", str(event.pk))
    assert f"{event.pk}\temail\tprocessed" in capsys.readouterr().out
