"""The SLA engine for many ticket events at once (`tickets.signals.send_many`).

`sla_record_event` (services.py) costs, per event, a policy pick, a calendar, a locked read of
the ticket's TicketSla and clocks, an INSERT or UPDATE of each, an UPDATE of the ticket's
summary and an INSERT of dirty-hour marks. A mail batch or a burst of chat messages pays that
per message. Here the same steps run set-wise:

- one locked read of every TicketSla of the batch's tickets, in ticket-id order (two batches, or
  a batch and a single write, lock the same rows in the same order: no deadlock), and one of
  their clocks; the policies once, each calendar and its schedule once;
- every event applied in memory, in the list's order, by the very functions the single path
  uses (`apply_event`, `reconcile_clocks`, `ticket_summary`), so two events of one ticket
  follow each other exactly as two single writes would;
- then one INSERT of the new TicketSla rows and one UPDATE of the changed ones, the same for
  the clocks, one UPDATE of the tickets whose SLA summary moved, one INSERT of the distinct
  dirty hours.

The outcome is the single path's outcome event by event (with one `now` for the batch, which
is one transaction): the same rows and the same marked hours (marks are a set; the single path
may insert an hour twice, the rebuild folds them).
A ticket with no TicketSla when the batch reads is measured from its first event here; its row
is read under lock like every other, so a row written earlier in the transaction (an
automation's update of a new ticket sent through the single path) is continued, never inserted
twice.

Dirty-hour marking mirrors sla/rollups.py's `mark_ticket_changes`, `mark_clock_changes` and
`mark_ticket_relabelled`, collecting moments instead of inserting per call; clocks are keyed by
object (new ones have no id until the batch's INSERT). tests/sla/test_batch.py holds the two
paths to the same marks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from tickets.models import Ticket
from tickets.signals import TicketChange, TicketEvent

from . import rollup_days, rollups
from .batch_writes import update_rows
from .business_time import BusinessSchedule
from .models import BusinessCalendar, RollupDirtyHour, SlaClock, SlaPolicy, TicketSla
from .policies import active_policies, calendar_for_ticket, policy_for_ticket, schedule_of
from .services import Context, apply_event, clock_state, new_state, reconcile_clocks
from .services import ticket_summary as summary_of


@dataclass
class _Measured:
    """One ticket of the batch: its facts and clocks in memory, and how they were read."""

    state: TicketSla
    stored: tuple | None  # the TicketSla row as read; None: not in the database yet
    clocks: list[SlaClock] = field(default_factory=list)
    clocks_stored: dict[int, tuple] = field(default_factory=dict)  # clock id → row as read
    summary: dict | None = None  # the ticket's sla_* columns to write, when an event moved them


def skips(change: TicketChange) -> bool:
    """Internal notes change nothing for the customer; a note that also set a status arrives
    with `changes`, and then the status move matters (as in receivers.on_ticket_changed)."""
    return change.event == TicketEvent.INTERNAL_NOTE and not change.changes


def sla_record_events(
    changes: Sequence[TicketChange],
    *,
    now: dt.datetime | None = None,
    policies: list[SlaPolicy] | None = None,
) -> None:
    """`sla_record_event` (and the receiver's relabel marks) for each change, in order."""
    wanted = [change for change in changes if not skips(change)]
    if not wanted:
        return
    now = now or timezone.now()
    policies = active_policies() if policies is None else policies
    if policies:  # matching reads the customer: one query for the tickets without it
        unloaded = {
            id(c.ticket): c.ticket for c in wanted if not Ticket.customer.is_cached(c.ticket)
        }
        prefetch_related_objects(list(unloaded.values()), "customer")
    with transaction.atomic(savepoint=False):
        measured = _read(sorted({change.ticket.pk for change in wanted}))
        moments: list[dt.datetime | None] = []
        calendars: dict[tuple, tuple[BusinessCalendar | None, BusinessSchedule]] = {}
        for change in wanted:
            moments += _apply(change, measured, policies, calendars, now)
        _write(measured)
        hours = {rollups.hour_of(moment) for moment in moments if moment is not None}
        if hours:
            RollupDirtyHour.objects.bulk_create(
                RollupDirtyHour(hour=hour) for hour in sorted(hours)
            )


def _row(instance) -> tuple:
    return tuple(getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields)


def _read(ticket_ids: list[int]) -> dict[int, _Measured]:
    states = TicketSla.objects.select_for_update().filter(ticket_id__in=ticket_ids)
    measured = {
        state.ticket_id: _Measured(state, _row(state)) for state in states.order_by("ticket_id")
    }
    if measured:
        clocks = SlaClock.objects.select_for_update().filter(ticket_id__in=sorted(measured))
        for clock in clocks.order_by("ticket_id", "started_at", "id"):
            entry = measured[clock.ticket_id]
            entry.clocks.append(clock)
            entry.clocks_stored[clock.pk] = clock_state(clock)
    return measured


def _calendar(ticket: Ticket, policy: SlaPolicy | None, calendars: dict) -> tuple:
    key = (ticket.team_id, policy.calendar_id if policy is not None else None)
    if key not in calendars:
        calendar = calendar_for_ticket(ticket, policy)
        calendars[key] = (calendar, schedule_of(calendar))
    return calendars[key]


def _apply(
    change: TicketChange,
    measured: dict[int, _Measured],
    policies: list[SlaPolicy],
    calendars: dict,
    now: dt.datetime,
) -> list[dt.datetime | None]:
    """One event, in memory, as `sla_record_event` applies it; returns the moments it dirtied."""
    ticket = change.ticket
    policy = policy_for_ticket(ticket, policies)
    calendar, schedule = _calendar(ticket, policy, calendars)
    entry = measured.get(ticket.pk)
    created = entry is None
    if created:
        entry = measured[ticket.pk] = _Measured(new_state(ticket, schedule), None)
    facts_before = None if created else rollups.ticket_facts(entry.state)
    context = Context(ticket, entry.state, policy, schedule, now, change.event)
    apply_event(context, calendar, change.actor.pk if change.actor else None, change.message)
    judged_before = {id(clock): _judged(clock) for clock in entry.clocks}
    reconcile_clocks(context, entry.clocks)
    moments = _clock_moments(entry.clocks, judged_before)
    summary = summary_of(entry.clocks, now)
    if any(getattr(ticket, name) != value for name, value in summary.items()):
        entry.summary = summary
        for name, value in summary.items():
            setattr(ticket, name, value)
    moments += _ticket_moments(entry, facts_before)
    moved = change.changes or {}
    if "tags" in moved or "assignee_id" in moved:
        moments += _relabel_moments(entry, tags="tags" in moved)
    return moments


def _judged(clock: SlaClock) -> tuple:
    return (clock.completed_at, clock.breached_at, clock.cancelled)


def _clock_moments(clocks: list[SlaClock], before: dict[int, tuple]) -> list:
    """rollups.mark_clock_changes: the hours clocks were judged in, before and after."""
    moments: list[dt.datetime | None] = []
    for clock in clocks:
        now, was = _judged(clock), before.get(id(clock))
        if now != was:
            moments += [now[0], now[1], *(was[:2] if was else ())]
    return moments


def _ticket_moments(entry: _Measured, before: tuple | None) -> list:
    """rollups.mark_ticket_changes, over the clocks in memory (the single path reads them back
    after writing them: the same rows)."""
    return rollups.ticket_change_moments(
        entry.state, before, lambda: [_judged(clock)[:2] for clock in entry.clocks]
    )


def _relabel_moments(entry: _Measured, *, tags: bool) -> list:
    """rollups.mark_ticket_relabelled after the event: judged clocks, and for tags also the
    ticket's created, solved and rated hours."""
    moments = [moment for clock in entry.clocks for moment in _judged(clock)[:2]]
    if tags:
        moments += [entry.state.created_at, entry.state.solved_at]
        moments += rollup_days.rating_moments(entry.state.ticket_id)
    return moments


def _write(measured: dict[int, _Measured]) -> None:
    entries = [measured[ticket_id] for ticket_id in sorted(measured)]
    TicketSla.objects.bulk_create([entry.state for entry in entries if entry.stored is None])
    _update_changed(
        TicketSla, [(entry.state, entry.stored) for entry in entries if entry.stored is not None]
    )
    SlaClock.objects.bulk_create(
        [clock for entry in entries for clock in entry.clocks if clock.pk is None]
    )
    _update_changed(
        SlaClock,
        [
            (clock, entry.clocks_stored[clock.pk])
            for entry in entries
            for clock in entry.clocks
            if clock.pk in entry.clocks_stored
        ],
    )
    summaries = [(ticket_id, measured[ticket_id].summary) for ticket_id in sorted(measured)]
    summaries = [(ticket_id, summary) for ticket_id, summary in summaries if summary]
    if summaries:
        rows = [Ticket(pk=ticket_id, **summary) for ticket_id, summary in summaries]
        update_rows(Ticket, rows, ["sla_target", "sla_due_at", "sla_breached"])


def _update_changed(model, pairs: list[tuple]) -> None:
    """One UPDATE of the rows whose columns differ from how they were read (only those
    columns): an event that moved nothing writes nothing."""
    names = [f.attname for f in model._meta.concrete_fields]
    changed, columns = [], set()
    for row, stored in pairs:
        now = _row(row)
        if now != stored:
            changed.append(row)
            columns |= {name for name, a, b in zip(names, now, stored, strict=True) if a != b}
    update_rows(model, changed, [name for name in names if name in columns])
