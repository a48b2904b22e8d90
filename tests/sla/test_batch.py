"""The SLA batch path (sla/batch.py, through tickets.signals.send_many) gives exactly what the
single path (one `ticket_changed` per event) gives: the same TicketSla rows, clock runs, ticket
summaries and dirty hours — for new tickets, replies, two events of one ticket, pauses, solves,
relabels and a ticket no policy covers."""

from __future__ import annotations

import pytest
from django.db import transaction

from sla.models import Metric, RollupDirtyHour, SlaClock, TicketSla
from sla.receivers import on_ticket_changed, on_ticket_changes
from tests.sla.conftest import customer_writes, make_policy, tokyo
from tickets.models import AuthorKind, Message, Status, Tag, Ticket
from tickets.services import reply
from tickets.signals import TicketChange, TicketEvent

pytestmark = pytest.mark.django_db


def _forget_sla(ticket: Ticket) -> None:
    """As if the ticket were just filed by the batch: no SLA rows, no summary yet."""
    SlaClock.objects.filter(ticket=ticket).delete()
    TicketSla.objects.filter(ticket=ticket).delete()
    Ticket.objects.filter(pk=ticket.pk).update(sla_target="", sla_due_at=None, sla_breached=False)


def _message(clock, ticket, at, *, agent=None, text="続報です") -> int:
    clock.set(*at)
    return Message.objects.create(
        ticket=ticket,
        author_kind=AuthorKind.AGENT if agent else AuthorKind.CUSTOMER,
        author=agent,
        identity=None if agent else ticket.identity,
        channel=ticket.channel,
        body_text=text,
    ).pk


def _fresh(pk: int) -> Ticket:
    return Ticket.objects.select_related("customer").get(pk=pk)


@pytest.fixture
def scenario(clock, office, agent):
    """Tickets as the batch finds them, and a function giving the batch's events (fresh objects
    each call, so both paths start from the same rows)."""
    make_policy(calendar=office, channels=["email"])  # a LINE ticket has no policy
    clock.set(2026, 6, 10, 10, 0)  # Wednesday
    replied = customer_writes()
    paused = customer_writes()
    line = customer_writes(channel="line")
    relabelled = customer_writes()
    fresh, twice, third = customer_writes(), customer_writes(), customer_writes()
    clock.set(2026, 6, 10, 10, 30)
    reply(ticket=paused, author=agent, body_text="確認します", status=Status.PENDING)
    for ticket in (fresh, twice, third):
        _forget_sla(ticket)
    firsts = {t.pk: t.messages.order_by("id").first().pk for t in (fresh, twice, third)}
    vip = Tag.objects.create(name="vip")

    # What the write path stored before announcing it (Thursday 11:00 onwards).
    m_replied = _message(clock, replied, (2026, 6, 11, 11, 0))
    m_paused = _message(clock, paused, (2026, 6, 11, 11, 5))
    Ticket.objects.filter(pk=paused.pk).update(status=Status.OPEN)
    m_line = _message(clock, line, (2026, 6, 11, 11, 10))
    a_replied = _message(clock, replied, (2026, 6, 11, 11, 20), agent=agent)
    a_twice = _message(clock, twice, (2026, 6, 11, 11, 30), agent=agent)
    clock.set(2026, 6, 11, 12, 0)
    Ticket.objects.filter(pk=relabelled.pk).update(
        status=Status.SOLVED, solved_at=clock(), assignee=agent
    )
    relabelled.tags.add(vip)

    def events() -> list[TicketChange]:
        paused_open = _fresh(paused.pk)
        paused_again = _fresh(paused.pk)
        paused_again.status = Status.PENDING  # a later event of the batch parked it again
        twice_obj = _fresh(twice.pk)
        replied_obj = _fresh(replied.pk)
        message = Message.objects.get
        return [
            TicketChange(
                _fresh(fresh.pk), TicketEvent.CREATED, message=message(pk=firsts[fresh.pk])
            ),
            TicketChange(replied_obj, TicketEvent.CUSTOMER_MESSAGE, message=message(pk=m_replied)),
            TicketChange(
                paused_open,
                TicketEvent.CUSTOMER_MESSAGE,
                message=message(pk=m_paused),
                changes={"status": (Status.PENDING, Status.OPEN)},
            ),
            TicketChange(_fresh(line.pk), TicketEvent.CUSTOMER_MESSAGE, message=message(pk=m_line)),
            TicketChange(twice_obj, TicketEvent.CREATED, message=message(pk=firsts[twice.pk])),
            TicketChange(
                replied_obj, TicketEvent.AGENT_REPLY, actor=agent, message=message(pk=a_replied)
            ),
            TicketChange(
                twice_obj, TicketEvent.AGENT_REPLY, actor=agent, message=message(pk=a_twice)
            ),
            TicketChange(
                _fresh(third.pk), TicketEvent.CREATED, message=message(pk=firsts[third.pk])
            ),
            TicketChange(
                _fresh(relabelled.pk),
                TicketEvent.UPDATED,
                actor=agent,
                changes={
                    "status": (Status.NEW, Status.SOLVED),
                    "assignee_id": (None, agent.pk),
                    "tags": ([], ["vip"]),
                },
            ),
            TicketChange(replied_obj, TicketEvent.INTERNAL_NOTE, actor=agent),  # changes nothing
            TicketChange(
                paused_again,
                TicketEvent.UPDATED,
                actor=agent,
                changes={"status": (Status.OPEN, Status.PENDING)},
            ),
        ]

    clock.set(2026, 6, 11, 12, 5)
    tickets = {"replied": replied, "paused": paused, "line": line, "relabelled": relabelled}
    tickets |= {"fresh": fresh, "twice": twice, "third": third}
    return events, tickets


def _outcome() -> dict:
    clock_fields = [f.attname for f in SlaClock._meta.concrete_fields if f.attname != "id"]
    return {
        "facts": list(TicketSla.objects.order_by("ticket_id").values()),
        "clocks": list(
            SlaClock.objects.order_by("ticket_id", "started_at", "metric").values(*clock_fields)
        ),
        "summaries": list(
            Ticket.objects.order_by("id").values_list(
                "id", "sla_target", "sla_due_at", "sla_breached"
            )
        ),
        "dirty_hours": set(RollupDirtyHour.objects.values_list("hour", flat=True)),
    }


def _one_by_one(events) -> dict:
    """The single path, in a savepoint rolled back afterwards."""
    with transaction.atomic():
        for change in events():
            on_ticket_changed(
                Ticket,
                ticket=change.ticket,
                event=change.event,
                actor=change.actor,
                message=change.message,
                changes=change.changes,
            )
        outcome = _outcome()
        transaction.set_rollback(True)
    return outcome


def test_batch_gives_the_rows_and_marks_of_one_event_at_a_time(scenario):
    events, tickets = scenario
    RollupDirtyHour.objects.all().delete()
    expected = _one_by_one(events)
    assert _outcome() != expected  # the savepoint really undid the single path

    on_ticket_changes(events())

    assert _outcome() == expected
    # …and the scenario exercised what it claims to.
    facts = {row["ticket_id"]: row for row in expected["facts"]}
    assert facts[tickets["twice"].pk]["first_reply_at"] == tokyo(2026, 6, 11, 11, 30)
    assert facts[tickets["replied"].pk]["agent_replies"] == 1
    assert facts[tickets["line"].pk]["policy_id"] is None
    assert facts[tickets["relabelled"].pk]["solved_at"] is not None
    assert facts[tickets["paused"].pk]["status"] == Status.PENDING
    assert facts[tickets["paused"].pk]["paused_minutes"] > 0
    runs = [c for c in expected["clocks"] if c["ticket_id"] == tickets["replied"].pk]
    first = next(c for c in runs if c["metric"] == Metric.FIRST_REPLY)
    assert first["completed_at"] == tokyo(2026, 6, 11, 12, 5) and first["breached_at"]
    assert not any(c["ticket_id"] == tickets["line"].pk for c in expected["clocks"])
    assert tokyo(2026, 6, 10, 10, 0) in expected["dirty_hours"]


def test_a_batch_continues_rows_written_earlier_in_the_transaction(scenario):
    """A new ticket whose TicketSla an earlier write of the same transaction made (an
    automation's update sent through the single path) is continued, not inserted twice."""
    events, tickets = scenario
    changes = events()
    created = changes[0]
    on_ticket_changed(Ticket, ticket=_fresh(tickets["fresh"].pk), event=TicketEvent.UPDATED)
    RollupDirtyHour.objects.all().delete()
    expected = _one_by_one(lambda: [created])

    on_ticket_changes([created])

    assert _outcome() == expected
    assert TicketSla.objects.filter(ticket=tickets["fresh"]).count() == 1


def test_a_batch_of_internal_notes_writes_nothing(scenario, django_assert_num_queries):
    events, tickets = scenario
    note = TicketChange(_fresh(tickets["replied"].pk), TicketEvent.INTERNAL_NOTE)
    with django_assert_num_queries(0):
        on_ticket_changes([note, note])
