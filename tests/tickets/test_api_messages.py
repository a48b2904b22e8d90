"""GET and POST /api/v1/tickets/{id}/messages/: the timeline, and replies via services.reply."""

from __future__ import annotations

import pytest

from channels_in.models import OutboundDelivery
from tests.api_factories import (
    AgentMessageFactory,
    AttachmentFactory,
    OutboundDeliveryFactory,
    session_client,
    token_client,
)
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets import services
from tickets.inbound import IncomingMessage
from tickets.models import Message

pytestmark = pytest.mark.django_db

MESSAGE_FIELDS = {
    "id",
    "author_kind",
    "internal",
    "body_text",
    "body_html",
    "attachments",
    "created_at",
    "delivery",
}


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/messages/"


def post(client, ticket, body):
    return client.post(url(ticket), body, format="json")


# --- reading ---------------------------------------------------------------------------------


def test_timeline_oldest_first_with_every_field(agent):
    ticket = TicketFactory()
    question = MessageFactory(ticket=ticket)
    attachment = AttachmentFactory(message=question)
    answer = OutboundDeliveryFactory(
        message__ticket=ticket, status="failed", attempts=2, last_error="550 mailbox full"
    ).message
    note = AgentMessageFactory(ticket=ticket, internal=True, body_text="VIP, be nice")

    response = token_client(agent).get(url(ticket))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [m["id"] for m in results] == [question.pk, answer.pk, note.pk]
    first, second, third = results
    assert set(first) == MESSAGE_FIELDS
    assert first["author_kind"] == "customer"
    assert first["internal"] is False
    assert first["body_text"] == question.body_text
    assert first["delivery"] is None
    assert first["created_at"].endswith("Z")
    assert first["attachments"] == [
        {
            "filename": "invoice.pdf",
            "content_type": "application/pdf",
            "size": 13,
            "url": f"http://testserver/api/v1/attachments/{attachment.pk}/",
        }
    ]
    assert second["author_kind"] == "agent"
    assert second["delivery"] == {
        "status": "failed",
        "attempts": 2,
        "last_error": "550 mailbox full",
    }
    assert third["internal"] is True
    assert third["delivery"] is None


def test_attachment_url_downloads_with_the_session(agent):
    attachment = AttachmentFactory()
    client = session_client(agent)
    listed = client.get(url(attachment.message.ticket)).json()["results"][0]["attachments"][0]
    download = client.get(listed["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert download["Content-Disposition"].startswith("attachment")


def test_attachment_url_downloads_with_a_token_and_not_without(agent):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    attachment = AttachmentFactory()
    token = Token.objects.create(user=agent)
    scripted = APIClient()
    scripted.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    listed = scripted.get(url(attachment.message.ticket)).json()["results"][0]["attachments"][0]

    download = scripted.get(listed["url"])
    anonymous = APIClient().get(listed["url"])

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert anonymous.status_code == 401


def test_body_html_is_the_sanitized_copy(agent):
    message = services.receive_message(
        IncomingMessage(
            channel="email",
            identity_kind="email",
            handle="hana@example.jp",
            body_text="Hello",
            body_html='<p onclick="steal()">Hello<script>alert(1)</script></p>',
            external_id="<sanitize-test@example.jp>",
        )
    )
    body_html = token_client(agent).get(url(message.ticket)).json()["results"][0]["body_html"]
    assert "Hello" in body_html
    assert "<script" not in body_html
    assert "onclick" not in body_html


def test_messages_of_unknown_ticket_is_404(agent):
    response = token_client(agent).get("/api/v1/tickets/999999/messages/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_customer_role_cannot_read_or_post(db):
    ticket = TicketFactory()
    client = token_client(UserFactory(role="customer"))
    assert client.get(url(ticket)).status_code == 403
    response = post(client, ticket, {"body_text": "hi"})
    assert response.status_code == 403
    assert not Message.objects.filter(ticket=ticket).exists()


def _fill_timeline(ticket, count: int) -> None:
    for _ in range(count):
        AttachmentFactory(message=MessageFactory(ticket=ticket))
        OutboundDeliveryFactory(message__ticket=ticket)


def test_timeline_query_count_does_not_grow(agent, django_assert_max_num_queries):
    ticket = TicketFactory()
    client = token_client(agent)
    _fill_timeline(ticket, 1)
    with django_assert_max_num_queries(4) as small:
        assert len(client.get(url(ticket)).json()["results"]) == 2
    _fill_timeline(ticket, 14)
    with django_assert_max_num_queries(4) as large:
        assert len(client.get(url(ticket)).json()["results"]) == 30
    assert len(small.captured_queries) == len(large.captured_queries)


# --- writing ---------------------------------------------------------------------------------


def test_public_reply_on_email_ticket_queues_a_delivery(agent):
    ticket = TicketFactory(status="open")

    response = post(token_client(agent), ticket, {"body_text": "  We have refunded you.  "})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == MESSAGE_FIELDS
    message = Message.objects.get(pk=body["id"])
    assert message.ticket_id == ticket.pk
    assert message.author == agent
    assert message.body_text == "We have refunded you."
    assert message.internal is False
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.kind == "email"
    assert delivery.recipient == ticket.identity.handle
    assert body["delivery"] == {
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
    }
    ticket.refresh_from_db()
    assert ticket.status == "pending"  # the service's default after a public reply
    assert ticket.assignee == agent
    assert ticket.first_replied_at is not None


def test_reply_can_set_the_status(agent):
    ticket = TicketFactory(status="open")
    response = post(session_client(agent), ticket, {"body_text": "Done!", "status": "solved"})
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_internal_note_sends_nothing(agent):
    ticket = TicketFactory()
    response = post(token_client(agent), ticket, {"body_text": "Check the order", "internal": True})
    assert response.status_code == 201
    assert response.json()["internal"] is True
    assert response.json()["delivery"] is None
    assert not OutboundDelivery.objects.exists()


def test_light_agent_public_reply_is_403_with_the_service_message(db):
    ticket = TicketFactory()
    light = UserFactory(role="light_agent")
    response = post(token_client(light), ticket, {"body_text": "Hello"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Light agents can add internal notes only."}
    assert not Message.objects.filter(ticket=ticket).exists()


def test_light_agent_may_add_a_note(db):
    ticket = TicketFactory()
    light = UserFactory(role="light_agent")
    response = post(token_client(light), ticket, {"body_text": "FYI", "internal": True})
    assert response.status_code == 201


def test_reply_on_channel_without_sender_is_400(agent):
    ticket = TicketFactory(channel="phone")
    response = post(token_client(agent), ticket, {"body_text": "Hello"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Replies on this channel cannot be sent yet."}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"body_text": ""}, "body_text"),
        ({"body_text": "   "}, "body_text"),
        ({}, "body_text"),
        ({"body_text": "Hi", "status": "bogus"}, "status"),
        ({"body_text": "Hi", "internal": "perhaps"}, "internal"),
        ({"body_text": "Hi", "body": "typo"}, "body"),
    ],
)
def test_invalid_post_is_400_with_field_errors(agent, body, field):
    ticket = TicketFactory()
    response = post(token_client(agent), ticket, body)
    assert response.status_code == 400
    # The field names what is wrong; `detail` says it in one sentence (helpdesk.api).
    assert set(response.json()) == {field, "detail"}
    assert not Message.objects.filter(ticket=ticket).exists()


def test_malformed_json_post_is_400_json(agent):
    ticket = TicketFactory()
    response = token_client(agent).generic(
        "POST", url(ticket), "{body_text: nope}", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_post_to_unknown_ticket_is_404(agent):
    response = token_client(agent).post(
        "/api/v1/tickets/999999/messages/", {"body_text": "Hi"}, format="json"
    )
    assert response.status_code == 404
