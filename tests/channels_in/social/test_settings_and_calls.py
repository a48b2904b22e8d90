"""Settings → Social accounts, and agents logging phone calls."""

from __future__ import annotations

import pytest

from channels_in.models import SocialAccount
from tests.channels_in.social.provider import Reply
from tests.factories import STAFF_PASSWORD, UserFactory
from tests.tickets.page import ticket_page_html
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(role="admin", name="Ada Admin")
    client.login(email=admin.email, password=STAFF_PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_admin_connects_line_and_sees_the_webhook_url(admin_client, provider):
    page = admin_client.get("/agent/settings/social/new/line/")
    assert page.status_code == 200 and "Channel access token" in page.content.decode()
    response = admin_client.post(
        "/agent/settings/social/new/line/",
        {
            "name": "Shop LINE",
            "external_id": "",
            "access_token": "tok-123",
            "secret": "sec-456",
            "api_base_url": provider.url,
            "active": "on",
            "action": "save",
        },
    )
    account = SocialAccount.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/agent/settings/social/{account.pk}/"
    )
    assert account.get_access_token() == "tok-123" and account.get_secret() == "sec-456"
    assert "tok-123" not in account.access_token_encrypted  # encrypted at rest
    page = admin_client.get(response["Location"]).content.decode()
    assert f"http://testserver/webhooks/line/{account.pk}/" in page
    assert "tok-123" not in page and "sec-456" not in page  # never sent back
    listing = admin_client.get("/agent/settings/social/").content.decode()
    assert "Shop LINE" in listing and f"/webhooks/line/{account.pk}/" in listing


def test_editing_keeps_secrets_when_left_empty(admin_client, make_account, provider):
    account = make_account("messenger")
    response = admin_client.post(
        f"/agent/settings/social/{account.pk}/",
        {
            "name": "Renamed",
            "external_id": "200000000000001",
            "access_token": "",
            "secret": "",
            "api_base_url": provider.url,
            "use_human_agent_tag": "on",
            "active": "on",
            "action": "save",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed" and account.get_access_token() == "EAAG-page-token"
    page = admin_client.get(f"/agent/settings/social/{account.pk}/").content.decode()
    assert account.verify_token and account.verify_token in page  # pasted into Meta


def test_missing_fields_are_explained(admin_client):
    response = admin_client.post(
        "/agent/settings/social/new/whatsapp/", {"name": "", "action": "save"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter the Access token." in text and "Enter the App secret." in text
    assert SocialAccount.objects.count() == 0
    assert admin_client.get("/agent/settings/social/new/myspace/").status_code == 404


def test_test_connection_button_shows_the_providers_answer(admin_client, make_account, provider):
    provider.route("GET", "/v2/bot/info", Reply(401, {"message": "Authentication failed."}))
    account = make_account("line")
    response = admin_client.post(
        f"/agent/settings/social/{account.pk}/test/", {"from": "edit"}, follow=True
    )
    text = response.content.decode()
    assert "LINE refused the channel access token (Authentication failed.)" in text
    account.refresh_from_db()
    assert account.last_error.startswith("LINE refused")


def test_test_on_the_form_tries_typed_values_without_saving(admin_client, provider):
    provider.route(
        "GET",
        "/bot999:typed/getMe",
        Reply(200, {"ok": True, "result": {"id": 1, "is_bot": True, "username": "typed_bot"}}),
    )
    response = admin_client.post(
        "/agent/settings/social/new/telegram/",
        {
            "name": "Bot",
            "access_token": "999:typed",
            "api_base_url": provider.url,
            "active": "on",
            "action": "test",
        },
    )
    assert (
        response.status_code == 200
        and "Connected to the bot @typed_bot." in response.content.decode()
    )
    assert SocialAccount.objects.count() == 0


def test_deactivate_and_permissions(admin_client, make_account, client):
    account = make_account("telegram")
    admin_client.post(f"/agent/settings/social/{account.pk}/active/", {"active": "0"})
    account.refresh_from_db()
    assert account.active is False
    admin_client.logout()
    agent = UserFactory(role="agent")
    client.login(email=agent.email, password=STAFF_PASSWORD)
    assert client.get("/agent/settings/social/").status_code == 403
    assert (
        client.post(f"/agent/settings/social/{account.pk}/active/", {"active": "1"}).status_code
        == 403
    )
    manager = UserFactory(role="manager")
    client.login(email=manager.email, password=STAFF_PASSWORD)
    assert client.get("/agent/settings/social/").status_code == 200
    assert client.post(f"/agent/settings/social/{account.pk}/", {"name": "x"}).status_code == 403


def test_agent_logs_a_call_as_a_new_ticket(agent_client):
    response = agent_client.post(
        "/agent/settings/calls/new/",
        {
            "direction": "inbound",
            "number": "+81 90-1234-5678",
            "minutes": "4",
            "seconds": "5",
            "outcome": "follow_up",
            "notes": "折り返し希望",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/agent/tickets/{ticket.pk}/"
    assert ticket.channel == "phone" and ticket.identity.handle == "+819012345678"
    call, note = ticket.messages.order_by("id")
    assert call.author_kind == "customer" and "Inbound call from +819012345678" in call.body_text
    assert note.internal and note.author_kind == "agent"
    assert "Duration: 4 min 05 s" in note.body_text and "Follow-up needed" in note.body_text
    assert note.body_text.endswith("折り返し希望")


def test_agent_logs_a_call_on_an_existing_ticket(agent_client, agent):
    from tests.factories import TicketFactory

    ticket = TicketFactory(channel="email")
    response = agent_client.post(
        f"/agent/settings/calls/ticket/{ticket.pk}/",
        {
            "direction": "outbound",
            "number": "03-1234-5678",
            "minutes": "0",
            "seconds": "40",
            "outcome": "voicemail",
            "notes": "",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    note = Message.objects.get(ticket=ticket)
    assert note.internal and note.body_text.startswith("Outbound call to 0312345678")
    assert note.author == agent


def test_bad_call_input_is_explained(agent_client):
    response = agent_client.post(
        "/agent/settings/calls/new/",
        {
            "direction": "sideways",
            "number": "call me<script>",
            "minutes": "-1",
            "seconds": "75",
            "outcome": "resolved",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter a phone number" in text and "<script>" not in text.replace("&lt;script&gt;", "")
    assert Ticket.objects.count() == 0


def test_ticket_page_shows_the_window_and_the_call_form(
    agent_client, make_account, post_webhook, provider
):
    from datetime import timedelta

    from django.utils import timezone

    provider.route("GET", r"/\d+", Reply(200, {"name": "Ken"}))
    account = make_account("whatsapp")
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": "100000000000002"},
                            "messages": [
                                {
                                    "from": "819011112222",
                                    "id": "wamid.P1",
                                    "timestamp": "1767225600",
                                    "type": "text",
                                    "text": {"body": "hi"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    post_webhook(account, body)
    ticket = Ticket.objects.get()
    page = ticket_page_html(agent_client, ticket.pk, HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-reply-constraint="ok"' in page and "24-hour window open" in page
    assert "Log a call" in page
    Message.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(days=2))
    page = ticket_page_html(agent_client, ticket.pk, HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-reply-constraint="blocked"' in page
    assert "24-hour window closed: send a template" in page
