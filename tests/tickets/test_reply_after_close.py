"""A customer writing to a CLOSED ticket: reopened within REOPEN_CLOSED_WITHIN_DAYS, else a new
ticket linked to the old one — never a silent drop, and still idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api_factories import TeamFactory
from tickets import bulk, services
from tickets.inbound import IncomingMessage
from tickets.models import LinkKind, Message, Status, Ticket, TicketLink
from tickets.signals import TicketEvent, ticket_changed

pytestmark = pytest.mark.django_db


def mail(external_id: str, **overrides) -> IncomingMessage:
    values = {
        "channel": "email",
        "identity_kind": "email",
        "handle": "hanako@example.jp",
        "display_name": "佐藤 花子",
        "subject": "返品について",
        "body_text": "返品したいです。",
        "external_id": external_id,
    }
    values.update(overrides)
    return IncomingMessage(**values)


def chat(external_id: str, text: str = "こんにちは") -> IncomingMessage:
    return IncomingMessage(
        channel="line",
        identity_kind="line",
        handle="U1234567890abcdef",
        display_name="花子",
        subject="",
        body_text=text,
        external_id=external_id,
    )


def _close(ticket: Ticket, agent, days_ago: float = 0) -> Ticket:
    services.update_ticket(ticket=ticket, actor=agent, status=Status.CLOSED)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None
    if days_ago:
        Ticket.objects.filter(pk=ticket.pk).update(
            closed_at=timezone.now() - timedelta(days=days_ago)
        )
    return ticket


def test_a_reply_within_the_window_reopens_the_closed_ticket(agent):
    first = services.receive_message(mail("<a@example.jp>")).ticket
    _close(first, agent, days_ago=3)
    events = []

    def listen(sender, ticket, event, changes, **kwargs):
        events.append((ticket.pk, event, changes.get("status")))

    ticket_changed.connect(listen)
    try:
        again = services.receive_message(mail("<b@example.jp>", replies_to=["<a@example.jp>"]))
    finally:
        ticket_changed.disconnect(listen)

    first.refresh_from_db()
    assert again.ticket_id == first.pk
    assert first.status == Status.OPEN and first.closed_at is None
    assert events == [(first.pk, TicketEvent.CUSTOMER_MESSAGE, (Status.CLOSED, Status.OPEN))]
    assert Ticket.objects.count() == 1


def test_a_late_reply_opens_a_new_ticket_linked_to_the_closed_one(agent, settings):
    settings.REOPEN_CLOSED_WITHIN_DAYS = 7
    team = TeamFactory(name="Returns")
    first = services.receive_message(mail("<a@example.jp>")).ticket
    Ticket.objects.filter(pk=first.pk).update(team=team)
    _close(first, agent, days_ago=8)
    events = []

    def listen(sender, event, **kwargs):
        events.append(event)

    ticket_changed.connect(listen)
    try:
        late = services.receive_message(mail("<c@example.jp>", replies_to=["<a@example.jp>"]))
    finally:
        ticket_changed.disconnect(listen)

    first.refresh_from_db()
    new = late.ticket
    assert new.pk != first.pk
    assert first.status == Status.CLOSED  # the old conversation (and its CSAT) stays as it was
    assert new.status == Status.NEW and new.team == team
    link = TicketLink.objects.get()
    assert (link.ticket, link.origin, link.kind) == (new, first, LinkKind.FOLLOW_UP)
    assert TicketEvent.CREATED in events
    # The same message delivered again changes nothing: idempotent.
    assert services.receive_message(mail("<c@example.jp>", replies_to=["<a@example.jp>"])) == late
    assert Ticket.objects.count() == 2 and TicketLink.objects.count() == 1


def test_zero_days_never_reopens(agent, settings):
    settings.REOPEN_CLOSED_WITHIN_DAYS = 0
    first = services.receive_message(mail("<a@example.jp>")).ticket
    _close(first, agent)
    again = services.receive_message(mail("<b@example.jp>", replies_to=["<a@example.jp>"]))
    assert again.ticket_id != first.pk
    assert TicketLink.objects.filter(ticket=again.ticket, origin=first).exists()


def test_a_chat_after_a_long_closed_conversation_starts_a_linked_one(agent):
    first = services.receive_message(chat("line-1")).ticket
    _close(first, agent, days_ago=30)
    later = services.receive_message(chat("line-2", "また質問です")).ticket
    assert later.pk != first.pk
    assert TicketLink.objects.get().origin == first
    # …and the conversation then continues in the new ticket, not a third one.
    assert services.receive_message(chat("line-3")).ticket_id == later.pk


def test_a_chat_soon_after_closing_reopens(agent):
    first = services.receive_message(chat("line-1")).ticket
    _close(first, agent, days_ago=1)
    assert services.receive_message(chat("line-2")).ticket_id == first.pk
    first.refresh_from_db()
    assert first.status == Status.OPEN


def test_a_reply_to_a_merged_away_ticket_lands_in_the_merge_target(agent):
    source = services.receive_message(mail("<a@example.jp>")).ticket
    target = services.receive_message(mail("<t@example.jp>", subject="別件")).ticket
    bulk.merge_tickets(source=source, target=target, actor=agent)
    # A hint at the old ticket number (a web form's "ticket #") follows the merge.
    reply = services.receive_message(mail("<h@example.jp>", ticket_hint=source.pk))
    assert reply.ticket_id == target.pk


def test_a_legacy_closed_ticket_without_closed_at_uses_its_last_update(agent):
    first = services.receive_message(mail("<a@example.jp>")).ticket
    Ticket.objects.filter(pk=first.pk).update(
        status=Status.CLOSED, closed_at=None, updated_at=timezone.now() - timedelta(days=60)
    )
    again = services.receive_message(mail("<b@example.jp>", replies_to=["<a@example.jp>"]))
    assert again.ticket_id != first.pk
    assert Message.objects.count() == 2


def test_both_ticket_pages_show_the_link(agent_client, agent):
    first = services.receive_message(mail("<a@example.jp>")).ticket
    _close(first, agent, days_ago=10)
    new = services.receive_message(mail("<b@example.jp>", replies_to=["<a@example.jp>"])).ticket
    old_page = agent_client.get(f"/agent/tickets/{first.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    new_page = agent_client.get(f"/agent/tickets/{new.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert f'href="/agent/tickets/{new.pk}/"' in old_page.content.decode()
    assert "wrote again after it was closed" in old_page.content.decode()
    assert f'href="/agent/tickets/{first.pk}/"' in new_page.content.decode()
    assert "Follow-up of the closed ticket" in new_page.content.decode()
