"""The agent's ticket page: a fixed, small number of queries whatever the conversation's size,
messages rendered once and served from the cache (yet never stale), and the side panels in a
second request that is checked like the page itself."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_in.models import OutboundDelivery
from customers.orders import ItemValues, OrderValues, order_upsert
from tests.api_factories import AgentMessageFactory, AttachmentFactory, TeamFactory
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tests.tickets.page import sidebar_url, ticket_page_html
from tickets.models import Notification, TicketSeen

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _page_queries(client, ticket) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/agent/tickets/{ticket.pk}/")
    assert response.status_code == 200
    return len(captured)


def _conversation(ticket, n: int) -> None:
    agent = UserFactory(name=f"Agent of {ticket.pk}")
    for i in range(n):
        message = MessageFactory(ticket=ticket, body_text=f"customer says {i}")
        AttachmentFactory(message=message, filename=f"photo-{i}.jpg")
        reply = AgentMessageFactory(ticket=ticket, author=agent, body_text=f"agent says {i}")
        OutboundDelivery.objects.create(
            message=reply, kind="email", recipient="c@example.net", status="sent"
        )


def test_the_page_costs_the_same_few_queries_for_two_messages_or_sixty(client):
    client.force_login(UserFactory(role="agent"))
    short, long = TicketFactory(), TicketFactory()
    _conversation(short, 1)
    _conversation(long, 30)
    for ticket in (short, long):  # the first view writes the access audit row
        client.get(f"/agent/tickets/{ticket.pk}/")

    short_queries = _page_queries(client, short)
    long_queries = _page_queries(client, long)

    assert short_queries == long_queries
    assert long_queries <= 15
    page = client.get(f"/agent/tickets/{long.pk}/").content.decode()
    assert page.count('class="msg ') == 60
    assert "photo-29.jpg" in page and "agent says 29" in page and "customer says 0" in page


def test_a_cached_message_shows_what_changed_since(client):
    """Fragments are keyed by everything they show: an erased text, a delivery that failed
    meanwhile, an author who changed their name are on the next view."""
    agent = UserFactory(name="Aiko")
    client.force_login(UserFactory(role="agent"))
    message = MessageFactory(body_text="my address is 1-2-3 Shibuya")
    reply = AgentMessageFactory(ticket=message.ticket, author=agent, body_text="on it")
    delivery = OutboundDelivery.objects.create(
        message=reply, kind="email", recipient="c@example.net", status="queued"
    )
    url = f"/agent/tickets/{message.ticket.pk}/"
    first = client.get(url, **EN).content.decode()
    assert "1-2-3 Shibuya" in first and "Queued for delivery" in first and "Aiko" in first

    message.body_text = "[erased]"
    message.save(update_fields=["body_text"])
    delivery.status, delivery.attempts, delivery.last_error = "failed", 3, "mailbox full"
    delivery.save()
    agent.name = "Aiko Tanaka"
    agent.save()
    second = client.get(url, **EN).content.decode()

    assert "1-2-3 Shibuya" not in second and "[erased]" in second
    assert "Could not be delivered (after 3 attempts)" in second and "mailbox full" in second
    assert "Aiko Tanaka" in second


def test_cached_messages_follow_the_viewers_language_and_right_to_see_contacts(client):
    ticket = TicketFactory(
        channel="line", identity__kind="line", identity__handle="U1234567890abcdef"
    )
    ticket.identity.display_name = "山田"
    ticket.identity.save()
    MessageFactory(ticket=ticket, identity=ticket.identity, channel="sms", body_text="hi")
    ticket.identity.kind, ticket.identity.handle = "sms", "+819012345678"
    ticket.identity.save()
    agent, light = UserFactory(role="agent"), UserFactory(role="light_agent")
    url = f"/agent/tickets/{ticket.pk}/"

    client.force_login(agent)
    assert "+819012345678" in client.get(url, **EN).content.decode()
    client.force_login(light)
    masked = client.get(url, **EN).content.decode()
    japanese = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert "+819012345678" not in masked and "+819012345678" not in japanese
    assert '<span class="msg__kind">Customer</span>' in masked
    assert '<span class="msg__kind">顧客</span>' in japanese


def test_opening_the_page_marks_it_seen_and_reads_its_notifications(client):
    agent = UserFactory(role="agent")
    ticket, other = TicketFactory(), TicketFactory()
    Notification.objects.create(user=agent, kind="mention", ticket=ticket)
    Notification.objects.create(user=agent, kind="mention", ticket=other)
    Notification.objects.create(user=UserFactory(), kind="mention", ticket=ticket)
    client.force_login(agent)

    client.get(f"/agent/tickets/{ticket.pk}/")
    first_seen = TicketSeen.objects.get(ticket=ticket, user=agent).seen_at
    client.get(f"/agent/tickets/{ticket.pk}/")

    assert TicketSeen.objects.get(ticket=ticket, user=agent).seen_at > first_seen
    unread = Notification.objects.filter(read_at__isnull=True)
    assert sorted(n.ticket_id for n in unread) == sorted([other.pk, ticket.pk])
    assert not unread.filter(user=agent, ticket=ticket).exists()


def test_the_sidebar_is_the_customers_details_and_the_panels(client):
    message = MessageFactory()
    customer = message.ticket.customer
    order_upsert(
        customer=customer,
        source="shop",
        values=OrderValues(
            external_id="77",
            number="#77",
            ordered_at=timezone.now(),
            total=1200,
            items=[ItemValues(name="Teapot")],
        ),
    )
    TicketFactory(customer=customer, identity=message.ticket.identity, subject="Earlier question")
    client.force_login(UserFactory(role="agent"))

    page = ticket_page_html(client, message.ticket.pk, **EN)

    assert "Teapot × 1" in page and "Earlier question" in page
    assert "Identities" in page and 'class="side-lazy"' not in page
    # The order panel posts back and returns to the ticket page, not to the fragment.
    assert f'name="next" value="/agent/tickets/{message.ticket.pk}/"' in page


def test_the_sidebar_passes_the_pages_query_on(client):
    ticket = MessageFactory().ticket
    client.force_login(UserFactory(role="agent"))

    page = client.get(f"/agent/tickets/{ticket.pk}/?lang=en").content.decode()

    assert sidebar_url(page) == f"/agent/tickets/{ticket.pk}/sidebar/?lang=en"


def test_the_sidebar_is_refused_like_the_page(client, settings):
    settings.TICKET_VISIBILITY = "team"
    mine, theirs = TeamFactory(), TeamFactory()
    agent = UserFactory(role="agent")
    agent.teams.add(mine)
    hidden = TicketFactory(team=theirs)
    client.force_login(agent)

    assert client.get(f"/agent/tickets/{hidden.pk}/sidebar/").status_code == 404
    assert client.get("/agent/tickets/999999/sidebar/").status_code == 404
    client.logout()
    assert client.get(f"/agent/tickets/{hidden.pk}/sidebar/").status_code == 302


def test_hostile_text_stays_text_in_cached_messages(client):
    ticket = MessageFactory(body_text='<script>alert(1)</script><img src=x onerror="x()">').ticket
    client.force_login(UserFactory(role="agent"))

    for _ in range(2):  # rendered, then from the cache
        page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
