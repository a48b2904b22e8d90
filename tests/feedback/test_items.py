"""The feedback loop: items, linked tickets as votes, "you said, we did" exactly once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Customer
from feedback.models import FeedbackItem, FeedbackLink, FeedbackNotification
from feedback.selectors import feedback_items
from feedback.services import items
from feedback.tasks import send_due_feedback
from tickets.models import AuthorKind

from .conftest import open_ticket

pytestmark = pytest.mark.django_db


def close(item, agent, status="done", note="ダークモードを追加しました。"):
    return items.update_item(
        item=item,
        actor=agent,
        title=item.title,
        description=item.description,
        status=status,
        public_note=note,
    )


def system_messages(ticket):
    return list(ticket.messages.filter(author_kind=AuthorKind.SYSTEM))


def test_votes_are_distinct_linked_customers(agent):
    first = open_ticket()
    again = open_ticket(ticket__identity=first.identity)
    other = open_ticket()
    item = items.create_item(actor=agent, title="Dark mode", ticket=first)
    items.link_ticket(item=item, ticket=again, actor=agent)
    items.link_ticket(item=item, ticket=other, actor=agent)
    items.link_ticket(item=item, ticket=other, actor=agent)  # twice is once
    ranked = feedback_items().get(pk=item.pk)
    assert (ranked.votes, ranked.ticket_count) == (2, 3)


def test_done_tells_each_customer_once_on_their_latest_ticket(
    agent, django_capture_on_commit_callbacks
):
    first = open_ticket()
    latest = open_ticket(ticket__identity=first.identity)
    other = open_ticket()
    item = items.create_item(actor=agent, title="ダークモード")
    for ticket in (first, latest, other):
        items.link_ticket(item=item, ticket=ticket, actor=agent)

    with django_capture_on_commit_callbacks(execute=True):
        close(item, agent)

    assert system_messages(first) == []
    [told] = system_messages(latest)
    assert "ダークモード" in told.body_text and "ダークモードを追加しました。" in told.body_text
    assert len(system_messages(other)) == 1
    assert FeedbackNotification.objects.count() == 2

    # The sweep and a second run tell nobody again.
    send_due_feedback()
    items.notify_item_customers(item_id=item.pk)
    assert FeedbackNotification.objects.count() == 2
    assert len(system_messages(latest)) + len(system_messages(other)) == 2


def test_reopening_and_closing_again_does_not_repeat(agent, django_capture_on_commit_callbacks):
    ticket = open_ticket()
    item = items.create_item(actor=agent, title="Gift wrap", ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        close(item, agent)
        close(item, agent, status="planned")
        close(item, agent, status="declined", note="Not this year.")
    assert len(system_messages(ticket)) == 1


def test_declined_is_announced_too_in_the_customers_language(
    agent, django_capture_on_commit_callbacks
):
    ticket = open_ticket()
    Customer.objects.filter(pk=ticket.customer_id).update(language="en")
    item = items.create_item(actor=agent, title="Fax support", ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        close(item, agent, status="declined", note="We will not add fax.")
    [told] = system_messages(ticket)
    assert "You told us: “Fax support”." in told.body_text
    assert "We will not add fax." in told.body_text


def test_customer_linked_after_done_is_told_by_the_sweep(agent, django_capture_on_commit_callbacks):
    item = items.create_item(actor=agent, title="Bigger fonts")
    with django_capture_on_commit_callbacks(execute=True):
        close(item, agent)
    late = open_ticket()
    items.link_ticket(item=item, ticket=late, actor=agent)
    send_due_feedback()
    assert len(system_messages(late)) == 1
    send_due_feedback()
    assert len(system_messages(late)) == 1


def test_blocked_customers_are_not_told(agent, django_capture_on_commit_callbacks):
    ticket = open_ticket()
    Customer.objects.filter(pk=ticket.customer_id).update(blocked_at=timezone.now())
    item = items.create_item(actor=agent, title="Refund policy", ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        close(item, agent)
    assert system_messages(ticket) == []


def test_closing_needs_a_public_note_and_valid_status(agent):
    item = items.create_item(actor=agent, title="Dark mode")
    with pytest.raises(ValidationError):
        close(item, agent, note="   ")
    with pytest.raises(ValidationError):
        close(item, agent, status="shipped")
    with pytest.raises(ValidationError):
        items.create_item(actor=agent, title="   ")


def test_pages_create_link_and_close(agent_client, agent, django_capture_on_commit_callbacks):
    ticket = open_ticket()
    created = agent_client.post(
        f"/agent/feedback/tickets/{ticket.pk}/items/",
        {"action": "create", "item-title": "<b>Dark</b> mode", "item-description": "please"},
    )
    assert created.status_code == 302
    item = FeedbackItem.objects.get()
    assert item.title == "<b>Dark</b> mode"
    other = open_ticket()
    agent_client.post(f"/agent/feedback/tickets/{other.pk}/items/", {"item": item.pk})
    assert FeedbackLink.objects.count() == 2
    # A hostile or unknown item id is refused, nothing linked.
    agent_client.post(f"/agent/feedback/tickets/{other.pk}/items/", {"item": "999999"})
    assert FeedbackLink.objects.count() == 2

    listing = agent_client.get("/agent/feedback/items/").content.decode()
    assert "&lt;b&gt;Dark&lt;/b&gt; mode" in listing and "<b>Dark</b>" not in listing
    assert agent_client.get("/agent/feedback/items/?status=nope&q=%00").status_code == 200

    missing_note = agent_client.post(
        f"/agent/feedback/items/{item.pk}/",
        {"title": item.title, "status": "done", "public_note": ""},
    )
    assert missing_note.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = agent_client.post(
            f"/agent/feedback/items/{item.pk}/",
            {"title": item.title, "status": "done", "public_note": "Shipped in 2.0"},
        )
    assert done.status_code == 302
    assert FeedbackNotification.objects.count() == 2
    detail = agent_client.get(f"/agent/feedback/items/{item.pk}/").content.decode()
    assert 'data-notified="2"' in detail


def test_items_list_shows_the_order_value_of_linked_customers(agent_client, agent):
    from decimal import Decimal

    from customers.models import Order
    from feedback.selectors import items_revenue

    first = open_ticket()
    again = open_ticket(ticket__identity=first.identity)
    other = open_ticket()
    for n, (customer, total, currency) in enumerate(
        [(first.customer, 5800, "JPY"), (first.customer, 1200, "JPY"), (other.customer, 32, "USD")]
    ):
        Order.objects.create(
            customer=customer,
            source="test",
            external_id=str(n),
            number=f"#{n}",
            ordered_at=timezone.now(),
            total=total,
            currency=currency,
        )
    item = items.create_item(actor=agent, title="Dark mode", ticket=first)
    items.link_ticket(item=item, ticket=again, actor=agent)  # same customer: counted once
    items.link_ticket(item=item, ticket=other, actor=agent)

    assert items_revenue(item_ids=[item.pk]) == {
        item.pk: [
            {"currency": "JPY", "total": Decimal("7000.00")},
            {"currency": "USD", "total": Decimal("32.00")},
        ]
    }
    html = agent_client.get("/agent/feedback/items/").content.decode()
    assert "¥7,000" in html and "$32.00" in html
