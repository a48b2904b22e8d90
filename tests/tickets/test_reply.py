"""tickets.services.reply and update_ticket: what agents do to tickets."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from channels_in.models import DeliveryStatus, OutboundDelivery
from tests.factories import MessageFactory, UserFactory
from tickets.models import Status
from tickets.services import reply, update_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    return MessageFactory(external_id="<q@example.net>").ticket


def test_public_reply_is_an_outbound_delivery_row(
    ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as after_commit:
        message = reply(ticket=ticket, author=agent, body_text="お待たせしました。")

    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.recipient == ticket.identity.handle
    assert delivery.kind == "email"
    # Nothing goes out before the reply is committed; then the delivery task is scheduled.
    assert delivery.status == DeliveryStatus.QUEUED
    assert after_commit, "the delivery must be scheduled after commit"
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING  # waiting for the customer now
    assert ticket.assignee == agent  # whoever answers first owns it
    assert ticket.first_replied_at is not None
    assert message.external_id.startswith("<") and message.external_id.endswith(">")


def test_internal_note_sends_nothing(ticket, agent):
    note = reply(ticket=ticket, author=agent, body_text="@sato 確認お願いします", internal=True)

    assert note.internal
    assert not OutboundDelivery.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.assignee is None


def test_light_agent_may_only_leave_notes(ticket):
    light = UserFactory(role="light_agent")

    with pytest.raises(PermissionDenied):
        reply(ticket=ticket, author=light, body_text="Hello")
    reply(ticket=ticket, author=light, body_text="note", internal=True)


def test_customers_cannot_reply_as_staff(ticket):
    with pytest.raises(PermissionDenied):
        reply(ticket=ticket, author=UserFactory(role="customer"), body_text="hi", internal=True)


def test_empty_reply_is_refused(ticket, agent):
    with pytest.raises(ValidationError):
        reply(ticket=ticket, author=agent, body_text="   ")


def test_reply_can_solve_the_ticket(ticket, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reply(ticket=ticket, author=agent, body_text="Done", status=Status.SOLVED)

    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert ticket.solved_at is not None


def test_update_ticket_properties_and_tags(ticket, agent):
    update_ticket(
        ticket=ticket,
        actor=agent,
        priority="urgent",
        assignee=agent,
        tags=["返品", " Refund ", "refund"],
    )

    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert ticket.assignee == agent
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "返品"]


def test_tickets_are_never_assigned_to_customers(ticket, agent):
    with pytest.raises(ValidationError):
        update_ticket(ticket=ticket, actor=agent, assignee=UserFactory(role="customer"))


def test_unknown_status_is_refused(ticket, agent):
    with pytest.raises(ValidationError):
        update_ticket(ticket=ticket, actor=agent, status="archived")
