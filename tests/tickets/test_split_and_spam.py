"""Splitting messages off into a new ticket; marking spam and blocking the sender."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import CustomerAccess
from tests.api_factories import AttachmentFactory, TeamFactory
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tickets import bulk, services
from tickets.inbound import IncomingMessage
from tickets.models import AuthorKind, LinkKind, Message, Status, Tag, Ticket, TicketLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    team = TeamFactory(name="Returns")
    ticket = TicketFactory(team=team, priority="high")
    ticket.tags.set([Tag.objects.create(name="vip")])
    messages = [
        MessageFactory(ticket=ticket, body_text="注文 A が届きません"),
        MessageFactory(ticket=ticket, body_text="別件: 請求書をください"),
        MessageFactory(ticket=ticket, body_text="請求書は PDF でお願いします"),
    ]
    return ticket, messages


def test_split_moves_the_chosen_messages_to_a_linked_ticket(agent, conversation):
    ticket, messages = conversation
    attachment = AttachmentFactory(message=messages[2])

    new = bulk.split_ticket(
        ticket=ticket, message_ids=[messages[1].pk, messages[2].pk], actor=agent, subject="請求書"
    )

    assert new.subject == "請求書" and new.customer_id == ticket.customer_id
    assert (new.team_id, new.priority, new.status) == (ticket.team_id, "high", Status.OPEN)
    assert list(new.tags.values_list("name", flat=True)) == ["vip"]
    moved = new.messages.exclude(author_kind=AuthorKind.SYSTEM)
    assert sorted(moved.values_list("pk", flat=True)) == [messages[1].pk, messages[2].pk]
    assert ticket.messages.filter(pk=messages[0].pk).exists()
    attachment.refresh_from_db()
    assert attachment.message.ticket_id == new.pk
    link = TicketLink.objects.get()
    assert (link.ticket, link.origin, link.kind, link.actor, link.moved_messages) == (
        new,
        ticket,
        LinkKind.SPLIT,
        agent,
        2,
    )
    # Both sides say what happened, as internal system notes.
    assert new.messages.filter(author_kind=AuthorKind.SYSTEM, internal=True).count() == 1
    assert ticket.messages.filter(author_kind=AuthorKind.SYSTEM, internal=True).count() == 1


@pytest.mark.parametrize(
    "pick",
    [
        lambda msgs, other: [],  # nothing chosen
        lambda msgs, other: [m.pk for m in msgs],  # everything: a rename, not a split
        lambda msgs, other: [msgs[0].pk, other.pk],  # a message of another ticket
    ],
)
def test_bad_splits_are_refused_and_change_nothing(agent, conversation, pick):
    ticket, messages = conversation
    other = MessageFactory()
    with pytest.raises(ValidationError):
        bulk.split_ticket(ticket=ticket, message_ids=pick(messages, other), actor=agent)
    assert Ticket.objects.count() == 2  # the conversation's and `other`'s
    assert ticket.messages.count() == 3 and not TicketLink.objects.exists()


def test_light_agents_cannot_split(conversation):
    ticket, messages = conversation
    with pytest.raises(PermissionDenied):
        bulk.split_ticket(
            ticket=ticket, message_ids=[messages[0].pk], actor=UserFactory(role="light_agent")
        )


def test_split_from_the_ticket_page(agent_client, conversation):
    ticket, messages = conversation
    page = agent_client.get(f"/agent/tickets/{ticket.pk}/split/")
    assert page.status_code == 200
    assert 'name="messages"' in page.content.decode()

    answer = agent_client.post(
        f"/agent/tickets/{ticket.pk}/split/",
        {"messages": [messages[2].pk], "subject": "PDF"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    new = Ticket.objects.get(subject="PDF")
    assert answer.status_code == 302 and answer["Location"] == f"/agent/tickets/{new.pk}/"
    assert (
        "Split from"
        in agent_client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )

    # Tampered ids are a form error, not a 500.
    bad = agent_client.post(
        f"/agent/tickets/{ticket.pk}/split/",
        {"messages": ["x", "999999"]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400


def test_mark_spam_tags_and_closes(agent):
    tickets = [TicketFactory(status=Status.OPEN) for _ in range(2)]
    assert bulk.mark_spam(ticket_ids=[t.pk for t in tickets], actor=agent) == 2
    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]):
        assert ticket.status == Status.CLOSED
        assert "spam" in ticket.tags.values_list("name", flat=True)
        assert not ticket.customer.is_blocked


def test_spam_and_block_needs_a_manager_and_blocks_future_mail(agent):
    ticket = TicketFactory(status=Status.OPEN)
    with pytest.raises(PermissionDenied):
        bulk.mark_spam(ticket_ids=[ticket.pk], actor=agent, block_senders=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # refused before anything was written

    manager = UserFactory(role="manager")
    bulk.mark_spam(ticket_ids=[ticket.pk], actor=manager, block_senders=True)
    ticket.customer.refresh_from_db()
    assert ticket.customer.is_blocked
    assert CustomerAccess.objects.filter(customer_id=ticket.customer_id, action="block").exists()
    # The blocked sender's next message opens nothing.
    before = Message.objects.count()
    assert (
        services.receive_message(
            IncomingMessage(
                channel="email",
                identity_kind="email",
                handle=ticket.identity.handle,
                display_name="",
                subject="buy now",
                body_text="spam",
                external_id="<spam-2@example.net>",
            )
        )
        is None
    )
    assert Message.objects.count() == before


def test_bulk_spam_buttons_from_the_inbox(agent_client, agent):
    tickets = [TicketFactory(status=Status.NEW) for _ in range(2)]
    ids = ",".join(str(t.pk) for t in tickets)
    answer = agent_client.post("/agent/bulk/", {"tickets": ids, "action": "spam"}, follow=True)
    assert answer.status_code == 200
    assert Ticket.objects.filter(status=Status.CLOSED, tags__name="spam").count() == 2
    # An agent's "spam + block" is refused with a message; nothing is blocked.
    refused = agent_client.post(
        "/agent/bulk/",
        {"tickets": ids, "action": "spam_block"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Only managers and admins can block senders." in refused.content.decode()
    assert not tickets[0].customer.__class__.objects.filter(blocked_at__isnull=False).exists()
    # A forged action is a clear error.
    forged = agent_client.post(
        "/agent/bulk/", {"tickets": ids, "action": "delete_all"}, follow=True
    )
    assert forged.status_code == 200


def test_spam_button_on_the_ticket_page(client):
    manager = UserFactory(role="manager")
    client.force_login(manager)
    ticket = TicketFactory(status=Status.OPEN)
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert f'action="/agent/tickets/{ticket.pk}/spam/"' in page
    client.post(f"/agent/tickets/{ticket.pk}/spam/", {"block": "on"})
    ticket.refresh_from_db()
    ticket.customer.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.customer.is_blocked
