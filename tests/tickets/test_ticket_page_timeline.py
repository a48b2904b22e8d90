"""The ticket page's conversation is served from the cache while nothing in it changed, and is
never stale: whatever a message shows (its text, attachments, delivery, author, identity, the
customer's name) is part of the digest PostgreSQL takes on every view, writes that send no
signal included."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_in.models import OutboundDelivery
from tests.api_factories import AgentMessageFactory, AttachmentFactory
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets.models import Attachment, Message

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MESSAGE_TEMPLATE = "tickets/_message.html"


def _view(client, ticket, **headers):
    response = client.get(f"/agent/tickets/{ticket.pk}/", **{**EN, **headers})
    assert response.status_code == 200
    rendered = [t.name for t in response.templates].count(MESSAGE_TEMPLATE)
    return response.content.decode(), rendered


@pytest.fixture
def agent_client(client):
    client.force_login(UserFactory(role="agent"))
    return client


def test_an_unchanged_conversation_is_not_rendered_again(agent_client):
    ticket = TicketFactory()
    for i in range(5):
        MessageFactory(ticket=ticket, body_text=f"question {i}")

    first, rendered_first = _view(agent_client, ticket)
    second, rendered_second = _view(agent_client, ticket)

    assert rendered_first == 5 and rendered_second == 0
    assert second.count('class="msg ') == 5 and "question 4" in second


def test_a_new_message_is_the_only_one_rendered(agent_client):
    ticket = MessageFactory(body_text="first question").ticket
    _view(agent_client, ticket)

    AgentMessageFactory(ticket=ticket, body_text="the answer")
    page, rendered = _view(agent_client, ticket)

    assert rendered == 1
    assert page.index("first question") < page.index("the answer")
    assert f'name="seen_message" value="{ticket.messages.order_by("-id")[0].pk}"' in page


def test_text_changed_without_a_signal_is_shown(agent_client):
    """An erasure or redaction may rewrite rows with queryset.update: no save(), no signal."""
    message = MessageFactory(body_text="my card is 4111 1111 1111 1111")
    ticket = message.ticket
    assert "4111" in _view(agent_client, ticket)[0]

    Message.objects.filter(pk=message.pk).update(body_text="[redacted]")
    page, rendered = _view(agent_client, ticket)

    assert "4111" not in page and "[redacted]" in page and rendered == 1


def test_attachments_added_and_removed_are_shown(agent_client):
    message = MessageFactory(body_text="see the photo")
    ticket = message.ticket
    _view(agent_client, ticket)

    attachment = AttachmentFactory(message=message, filename="broken-lid.jpg")
    assert "broken-lid.jpg" in _view(agent_client, ticket)[0]

    Attachment.objects.filter(pk=attachment.pk).delete()
    assert "broken-lid.jpg" not in _view(agent_client, ticket)[0]


def test_a_delivery_receipt_is_shown(agent_client):
    reply = AgentMessageFactory(author=UserFactory(name="Ken"), body_text="shipped today")
    delivery = OutboundDelivery.objects.create(
        message=reply, kind="whatsapp", recipient="+8190", status="sent"
    )
    assert 'data-receipt="read"' not in _view(agent_client, reply.ticket)[0]

    OutboundDelivery.objects.filter(pk=delivery.pk).update(receipt="read")
    page = _view(agent_client, reply.ticket)[0]

    assert 'data-receipt="read"' in page


def test_a_renamed_customer_or_agent_is_shown(agent_client):
    agent = UserFactory(name="Aiko")
    message = MessageFactory(body_text="hello")  # no identity: shows the customer's name
    ticket = message.ticket
    AgentMessageFactory(ticket=ticket, author=agent, body_text="hi")
    _view(agent_client, ticket)

    ticket.customer.name = "Hanako Yamada"
    ticket.customer.save()
    type(agent).objects.filter(pk=agent.pk).update(name="Aiko Tanaka")
    page = _view(agent_client, ticket)[0]

    assert "Hanako Yamada" in page and "Aiko Tanaka" in page


def test_a_message_moved_to_another_ticket_leaves_the_first(agent_client):
    ticket, other = TicketFactory(), TicketFactory()
    MessageFactory(ticket=ticket, body_text="stays here")
    moving = MessageFactory(ticket=ticket, body_text="moves away")
    _view(agent_client, ticket)

    Message.objects.filter(pk=moving.pk).update(ticket=other)

    assert "moves away" not in _view(agent_client, ticket)[0]
    assert "moves away" in _view(agent_client, other)[0]


def test_the_live_timeline_part_uses_the_same_cache(agent_client):
    ticket = MessageFactory(body_text="from the socket").ticket
    _view(agent_client, ticket)

    response = agent_client.get(
        f"/agent/tickets/{ticket.pk}/?part=timeline", HTTP_HX_REQUEST="true", **EN
    )

    assert response.status_code == 200
    assert "from the socket" in response.content.decode()
    assert MESSAGE_TEMPLATE not in [t.name for t in response.templates]


def test_an_empty_ticket_says_so(agent_client):
    ticket = TicketFactory()

    page = _view(agent_client, ticket)[0]

    assert "No messages on this ticket yet." in page
    assert 'name="seen_message" value="0"' in page


def test_hostile_names_stay_text_in_the_cached_timeline(agent_client):
    ticket = TicketFactory(identity__customer__name='<img src=x onerror="alert(1)">')
    MessageFactory(ticket=ticket, body_text="hello")
    AttachmentFactory(message=ticket.messages.get(), filename="<script>x()</script>.pdf")

    for _ in range(2):  # rendered, then the whole timeline from the cache
        page = _view(agent_client, ticket)[0]
        assert "<img src=x" not in page and "<script>x()" not in page
        assert "&lt;script&gt;x()&lt;/script&gt;.pdf" in page


def test_the_page_takes_at_most_ten_queries_whatever_the_conversation(agent_client):
    ticket = TicketFactory()
    agent = UserFactory(name="Ken")
    for i in range(40):
        message = MessageFactory(ticket=ticket, body_text=f"customer says {i}")
        AttachmentFactory(message=message, filename=f"photo-{i}.jpg")
        reply = AgentMessageFactory(ticket=ticket, author=agent, body_text=f"agent says {i}")
        OutboundDelivery.objects.create(
            message=reply, kind="email", recipient="c@example.net", status="sent"
        )
    counts = []
    for _ in range(2):  # rendered, then from the cache
        with CaptureQueriesContext(connection) as captured:
            page = _view(agent_client, ticket)[0]
        counts.append(len(captured))
        assert page.count('class="msg ') == 80 and "photo-39.jpg" in page

    assert counts[1] <= 10
