"""Splitting a ticket is a ticket write like any other: `ticket_changed` for both tickets."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from automations.models import Automation, AutomationRun, TicketClock
from tests.factories import MessageFactory, TicketFactory
from tickets import bulk
from tickets.models import AuthorKind, Tag
from tickets.signals import TicketEvent, ticket_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    events = []

    def listen(sender, *, ticket, event, actor=None, message=None, changes=None, **kwargs):
        events.append((ticket.pk, event, actor, message, changes))

    ticket_changed.connect(listen, dispatch_uid="test-split-listener")
    yield events
    ticket_changed.disconnect(dispatch_uid="test-split-listener")


def test_split_announces_the_new_and_the_source_ticket(agent, heard):
    ticket = TicketFactory()
    keep = MessageFactory(ticket=ticket, body_text="注文 A")
    moved = MessageFactory(ticket=ticket, body_text="別件")
    new = bulk.split_ticket(ticket=ticket, message_ids=[moved.pk], actor=agent)

    assert [(pk, event) for pk, event, *_ in heard] == [
        (new.pk, TicketEvent.CREATED),
        (ticket.pk, TicketEvent.UPDATED),
    ]
    _pk, _event, actor, message, _changes = heard[0]
    assert actor == agent
    assert message.pk == moved.pk and message.ticket_id == new.pk
    assert keep.pk != message.pk
    # The receivers (SLA, automations) saw the new ticket: it has its own clock now.
    assert TicketClock.objects.filter(ticket=new).exists()


def test_split_runs_creation_automations_but_sends_no_auto_reply(
    agent, heard, django_capture_on_commit_callbacks
):
    Automation.objects.create(
        name="new ticket", event="created", add_tags=["triage"], reply_text="受け付けました"
    )
    ticket = TicketFactory()
    ticket.tags.set([Tag.objects.create(name="vip")])
    MessageFactory(ticket=ticket)
    moved = MessageFactory(ticket=ticket, body_text="別件です")
    with django_capture_on_commit_callbacks(execute=True):
        new = bulk.split_ticket(ticket=ticket, message_ids=[moved.pk], actor=agent)

    assert sorted(new.tags.values_list("name", flat=True)) == ["triage", "vip"]
    assert AutomationRun.objects.filter(ticket=new, kind="automation").count() == 1
    assert not AutomationRun.objects.filter(kind="auto_reply").exists()
    assert not new.messages.filter(author_kind=AuthorKind.SYSTEM, internal=False).exists()


def test_a_refused_split_announces_nothing(agent, heard):
    ticket = TicketFactory()
    only = MessageFactory(ticket=ticket)
    with pytest.raises(ValidationError):
        bulk.split_ticket(ticket=ticket, message_ids=[only.pk], actor=agent)
    assert heard == []
