"""The widget's HTTP side (script, config, uploads, files, suggestions) and the settings pages."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from livechat import services
from livechat.models import ChatChannel, ChatUpload
from tests.factories import UserFactory
from tickets import services as ticket_services
from tickets.inbound import IncomingAttachment
from tickets.models import Message

from .conftest import ORIGIN

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n"


def test_widget_js_is_public_cacheable_javascript_and_small(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    body = response.content
    assert len(gzip.compress(body, 9)) <= 30 * 1024
    assert b"attachShadow" in body and b"isComposing" in body
    again = client.get("/widget.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_config_is_public_json_with_cors(client, chat_channel):
    response = client.get(f"/widget/{chat_channel.public_key}/config/")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["greeting"] == {"ja": "ご用件をどうぞ", "en": "How can we help?"}
    assert data["ask_email"] == "optional" and data["position"] == "right"
    assert "secret" not in response.content.decode()
    missing = client.get("/widget/ch_nope/config/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_channel"


def _visitor(chat_channel):
    return services.open_session(channel_key=chat_channel.public_key, origin=ORIGIN)


def _upload(client, chat_channel, token, name, content, origin=ORIGIN):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/widget/{chat_channel.public_key}/upload/",
        {"token": token, "file": SimpleUploadedFile(name, content, "image/png")},
        HTTP_ORIGIN=origin,
    )


def test_an_uploaded_image_is_sent_by_a_message_frame(client, chat_channel):
    session = _visitor(chat_channel)
    response = _upload(client, chat_channel, session.token, "写真.png", PNG)
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    data = response.json()
    assert data["type"] == "image/png" and data["name"] == "写真.png"
    message, _ = services.record_visitor_message(
        session.visitor, client_id="img", text="", uploads=[data["upload"]]
    )
    attachment = message.attachments.get()
    assert attachment.filename == "写真.png" and attachment.size == len(PNG)
    frame = services.message_frame(message)
    file_response = client.get(frame["attachments"][0]["url"])
    assert file_response.status_code == 200
    assert b"".join(file_response.streaming_content) == PNG


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("evil.png", b"<svg onload=alert(1)>", 400, "bad_type"),
        ("run.exe", b"MZ\x90\x00", 400, "bad_type"),
        ("empty.pdf", b"", 400, "empty_file"),
    ],
)
def test_uploads_of_the_wrong_kind_are_refused(client, chat_channel, name, content, status, code):
    session = _visitor(chat_channel)
    response = _upload(client, chat_channel, session.token, name, content)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not ChatUpload.objects.exists()


def test_oversized_uploads_bad_tokens_and_foreign_sites_are_refused(
    client, chat_channel, monkeypatch
):
    from livechat import uploads

    session = _visitor(chat_channel)
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    big = _upload(client, chat_channel, session.token, "big.pdf", PDF + b"0" * 2000)
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    forged = _upload(client, chat_channel, "forged-token", "a.pdf", PDF)
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "bad_token"
    foreign = _upload(client, chat_channel, session.token, "a.pdf", PDF, origin="https://x.example")
    assert foreign.status_code == 403
    assert not ChatUpload.objects.exists()


def test_agent_files_are_served_to_the_widget_but_notes_and_wrong_tokens_are_not(
    client, chat_channel
):
    session = _visitor(chat_channel)
    message, _ = services.record_visitor_message(session.visitor, client_id="m", text="hi")
    agent = UserFactory(role="agent")
    pdf = IncomingAttachment(filename="invoice.pdf", content_type="application/pdf", content=PDF)
    reply = ticket_services.reply(
        ticket=message.ticket, author=agent, body_text="here", attachments=[pdf]
    )
    note = ticket_services.reply(
        ticket=message.ticket, author=agent, body_text="n", internal=True, attachments=[pdf]
    )
    shared, hidden = reply.attachments.get(), note.attachments.get()
    assert client.get(f"/widget/files/{shared.pk}/{shared.token}/").status_code == 200
    assert client.get(f"/widget/files/{shared.pk}/{'0' * 32}/").status_code == 404
    assert client.get(f"/widget/files/{hidden.pk}/{hidden.token}/").status_code == 404


def test_suggestions_come_from_the_help_center_with_cors(client, chat_channel):
    response = client.get(f"/widget/{chat_channel.public_key}/suggest/ja/", {"q": "返品"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert set(response.json()) == {"query", "results"}
    assert (
        client.get(f"/widget/{chat_channel.public_key}/suggest/xx/", {"q": "a"}).status_code == 404
    )


# --- settings pages ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(role="admin"))
    return client


def test_admin_creates_a_channel_and_sees_the_secret_once(admin_client):
    response = admin_client.post(
        "/agent/settings/chat/new/",
        {
            "name": "Web shop",
            "brand_color": "#FF6600",
            "position": "left",
            "greeting_ja": "いらっしゃいませ",
            "greeting_en": "Welcome",
            "ask_name": "required",
            "ask_email": "off",
            "allowed_origins": "https://Shop.example.com/\nhttps://shop.example.com",
            "active": "on",
            "action": "save",
        },
    )
    assert response.status_code == 200
    channel = ChatChannel.objects.get()
    secret = response.context["new_secret"]
    assert secret and secret not in channel.secret_encrypted
    assert channel.get_secret() == secret
    assert channel.brand_color == "#ff6600"
    assert channel.origins == ["https://shop.example.com"]
    page = admin_client.get(f"/agent/settings/chat/{channel.pk}/").content.decode()
    assert secret not in page
    assert f'data-channel="{channel.public_key}"' in page
    rotated = admin_client.post(f"/agent/settings/chat/{channel.pk}/", {"action": "secret"})
    channel.refresh_from_db()
    assert channel.get_secret() == rotated.context["new_secret"] != secret


def test_bad_settings_are_refused_with_a_clear_error(admin_client):
    with translation.override("en"):
        response = admin_client.post(
            "/agent/settings/chat/new/",
            {
                "name": "X",
                "brand_color": "red",
                "position": "right",
                "ask_name": "off",
                "ask_email": "off",
                "allowed_origins": "javascript:alert(1)",
                "action": "save",
            },
        )
    assert response.status_code == 400
    assert "is not a site address" in response.content.decode()
    assert not ChatChannel.objects.exists()


def test_agents_cannot_see_chat_settings_and_managers_cannot_change_them(client, chat_channel):
    client.force_login(UserFactory(role="agent"))
    assert client.get("/agent/settings/chat/").status_code == 403
    client.force_login(UserFactory(role="manager"))
    assert client.get("/agent/settings/chat/").status_code == 200
    edit = client.post(f"/agent/settings/chat/{chat_channel.pk}/", {"name": "hijack"})
    assert edit.status_code == 403
    assert client.post(f"/agent/settings/chat/{chat_channel.pk}/delete/").status_code == 403


def ticket_page(client, ticket_id: int, **headers) -> str:
    """The ticket page as the agent sees it: with its side panels, which the page may fetch
    separately once shown (the ticket sidebar)."""
    html = client.get(f"/agent/tickets/{ticket_id}/", **headers).content.decode()
    try:
        sidebar = reverse("tickets:sidebar", args=[ticket_id])
    except NoReverseMatch:
        return html
    return html + client.get(sidebar, **headers).content.decode()


def test_chat_tickets_show_the_visitor_panel(agent_client, chat_channel):
    session = services.open_session(
        channel_key=chat_channel.public_key,
        origin=ORIGIN,
        user_agent="Mozilla/5.0 (iPhone) Safari/1",
        page={"url": "https://shop.example/items/9", "title": "<b>Item 9</b>"},
    )
    message, _ = services.record_visitor_message(session.visitor, client_id="m", text="hi")
    page = ticket_page(agent_client, message.ticket_id)
    assert "data-livechat-panel" in page and "livechat/agent-chat.js" in page
    assert "https://shop.example/items/9" in page
    assert "&lt;b&gt;Item 9&lt;/b&gt;" in page  # the page title is text
    assert "Safari · iPhone" in page
    assert Message.objects.count() == 1


def test_the_panel_offers_end_chat_then_shows_who_ended_it_and_the_rating(
    agent_client, chat_channel
):
    from livechat import ending

    session = services.open_session(channel_key=chat_channel.public_key, origin=ORIGIN)
    message, _ = services.record_visitor_message(session.visitor, client_id="m", text="hi")
    page = ticket_page(agent_client, message.ticket_id, HTTP_ACCEPT_LANGUAGE="en")
    assert "data-livechat-end" in page and "End chat" in page
    ending.visitor_ends(session.visitor)
    ending.rate_chat(session.visitor, rating=2, comment="<script>x</script>遅い")
    page = ticket_page(agent_client, message.ticket_id, HTTP_ACCEPT_LANGUAGE="en")
    assert "The customer ended the chat." in page
    assert "Chat rating: 2" in page
    assert "&lt;script&gt;x&lt;/script&gt;遅い" in page  # a customer's comment is text
