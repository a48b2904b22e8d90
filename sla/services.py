"""The SLA engine: keeps each ticket's measured facts and running clocks current.

Every ticket write calls `sla_record_event` (through tickets.signals, inside the write's
transaction). It first updates the ticket's facts (TicketSla: first reply, who waits since when,
status and paused time, reopens), then *reconciles* the clocks: from those facts and the policy
in force now it derives which clocks should run and since when, and brings the stored SlaClock
rows in line (start, pause, resume, re-aim at new targets, complete or cancel). Because the
clocks follow from facts, a policy edit or a priority change is the same reconcile step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.models import Message, Status, Ticket
from tickets.signals import TicketEvent

from . import rollups
from .business_time import BusinessSchedule, add_business_minutes, business_minutes_between
from .models import Metric, SlaClock, SlaPolicy, TicketSla
from .policies import (
    active_policies,
    calendar_for_ticket,
    policy_for_ticket,
    schedule_of,
    target_minutes,
)

DONE_STATUSES = frozenset({Status.SOLVED, Status.CLOSED})
WARN_FRACTION = 0.8


@dataclass
class Context:
    ticket: Ticket
    state: TicketSla
    policy: SlaPolicy | None
    schedule: BusinessSchedule
    now: dt.datetime
    event: str | None

    def minutes(self, start: dt.datetime, end: dt.datetime) -> float:
        return business_minutes_between(self.schedule, start, end)

    @property
    def pause_statuses(self) -> frozenset[str]:
        return frozenset(self.policy.pause_statuses if self.policy else ())


def sla_record_event(
    *,
    ticket: Ticket,
    event: str | None,
    actor_id: int | None = None,
    message: Message | None = None,
    now: dt.datetime | None = None,
    policies: list[SlaPolicy] | None = None,
) -> TicketSla:
    """Bring the ticket's SLA facts and clocks up to date after `event` (None: a policy edit)."""
    now = now or timezone.now()
    # No savepoint: nothing catches a failure half way, and inside the ticket write (always)
    # a savepoint is two more round trips on every inbound message.
    with transaction.atomic(savepoint=False):
        policy = policy_for_ticket(ticket, active_policies() if policies is None else policies)
        calendar = calendar_for_ticket(ticket, policy)
        schedule = schedule_of(calendar)
        state, created = _state_for(ticket, schedule)
        facts_before = None if created else rollups.ticket_facts(state)
        context = Context(ticket, state, policy, schedule, now, event)
        apply_event(context, calendar, actor_id, message)
        state.save(force_insert=created)
        # A ticket measured for the first time has no clocks yet: they are only ever made
        # here, in the same transaction that inserts its TicketSla.
        clocks = [] if created else list(SlaClock.objects.select_for_update().filter(ticket=ticket))
        judged_before = rollups.clock_facts(clocks)
        stored_before = {clock.pk: clock_state(clock) for clock in clocks}
        reconcile_clocks(context, clocks)
        # Only what changed is written: a customer's second message on a ticket whose clocks
        # run on unchanged costs no UPDATE, and the clocks a new ticket starts are one INSERT.
        SlaClock.objects.bulk_create([clock for clock in clocks if clock.pk is None])
        for clock in clocks:
            if clock.pk in stored_before and clock_state(clock) != stored_before[clock.pk]:
                clock.save()
        rollups.mark_clock_changes(clocks, judged_before)
        _write_ticket_summary(ticket, clocks, now)
        rollups.mark_ticket_changes(state, facts_before)
    return state


def apply_event(context: Context, calendar, actor_id: int | None, message: Message | None) -> None:
    """The event's effect on the ticket's facts (TicketSla, in memory; the caller saves)."""
    state, ticket = context.state, context.ticket
    state.policy = context.policy
    state.calendar = calendar
    state.channel = ticket.channel
    state.team_id_snapshot = ticket.team_id
    _record_message(context, context.event, actor_id, message)
    _record_status(context)


def _state_for(ticket: Ticket, schedule: BusinessSchedule) -> tuple[TicketSla, bool]:
    """The ticket's locked TicketSla, or a new unsaved one (True): the caller inserts it once,
    after the event is applied, instead of inserting and then updating it."""
    state = TicketSla.objects.select_for_update().filter(ticket=ticket).first()
    if state is not None:
        return state, False
    return new_state(ticket, schedule), True


def new_state(ticket: Ticket, schedule: BusinessSchedule) -> TicketSla:
    """The unsaved TicketSla of a ticket measured for the first time."""
    state = TicketSla(
        ticket=ticket,
        channel=ticket.channel,
        created_at=ticket.created_at,
        status=Status.NEW,
        status_since=ticket.created_at,
        awaiting_since=ticket.created_at,
    )
    if ticket.first_replied_at:
        _backfill_replies(state, ticket, schedule)
    return state


def _backfill_replies(state: TicketSla, ticket: Ticket, schedule: BusinessSchedule) -> None:
    """A ticket from before the sla app (or its first event was missed): take what it shows."""
    replies = ticket.messages.filter(author_kind="agent", internal=False).order_by("created_at")
    first = replies.first()
    state.first_reply_at = ticket.first_replied_at
    state.first_reply_by_id = first.author_id if first else None
    state.first_reply_minutes = business_minutes_between(
        schedule, ticket.created_at, ticket.first_replied_at
    )
    state.agent_replies = replies.count()
    state.last_agent_reply_at = ticket.first_replied_at
    state.awaiting_since = None


def _record_message(
    context: Context, event: str | None, actor_id: int | None, message: Message | None
) -> None:
    state = context.state
    at = message.created_at if message is not None else context.now
    if event == TicketEvent.CUSTOMER_MESSAGE and state.awaiting_since is None:
        state.awaiting_since = at
    elif event == TicketEvent.AGENT_REPLY:
        state.awaiting_since = None
        state.last_agent_reply_at = at
        state.agent_replies += 1
        if state.first_reply_at is None:
            state.first_reply_at = at
            state.first_reply_by_id = actor_id
            state.first_reply_minutes = context.minutes(state.created_at, at)


def _record_status(context: Context) -> None:
    state, ticket, now = context.state, context.ticket, context.now
    old, new = state.status, ticket.status
    if old == new:
        return
    if old in context.pause_statuses or old in DONE_STATUSES:
        state.paused_minutes += context.minutes(state.status_since or now, now)
    if new in DONE_STATUSES and old not in DONE_STATUSES:
        state.solved_at = ticket.solved_at or now
        state.solved_by_id = ticket.assignee_id
        state.awaiting_since = None
        state.resolution_minutes = max(
            0.0, context.minutes(state.created_at, state.solved_at) - state.paused_minutes
        )
    elif old in DONE_STATUSES and new not in DONE_STATUSES:
        state.reopens += 1
        state.solved_at = None
        state.solved_by_id = None
        state.resolution_minutes = None
        if state.awaiting_since is None:
            state.awaiting_since = now
    state.status = new
    state.status_since = now


def _desired_starts(context: Context) -> dict[str, dt.datetime | None]:
    """When each metric's clock should have started, or None when it should not run now."""
    state, ticket = context.state, context.ticket
    done = ticket.status in DONE_STATUSES
    periodic = bool(context.policy and ticket.status in context.policy.periodic_update_statuses)
    periodic_since = max(
        filter(None, [state.status_since, state.last_agent_reply_at]), default=None
    )
    return {
        Metric.FIRST_REPLY: None if done or state.first_reply_at else state.created_at,
        Metric.NEXT_REPLY: (state.awaiting_since if not done and state.first_reply_at else None),
        Metric.PERIODIC_UPDATE: periodic_since if periodic else None,
        Metric.RESOLUTION: None if done else state.created_at,
    }


def _fulfilled(context: Context, metric: str) -> bool:
    """Whether a clock that stops now stopped because the customer got what it promised."""
    if metric == Metric.FIRST_REPLY:
        return context.state.first_reply_at is not None
    if metric in (Metric.NEXT_REPLY, Metric.PERIODIC_UPDATE):
        return context.event == TicketEvent.AGENT_REPLY
    return context.ticket.status in DONE_STATUSES


def reconcile_clocks(context: Context, clocks: list[SlaClock]) -> None:
    """Bring the ticket's clocks (all its runs, oldest first) in line with its facts, in memory:
    runs are stopped, reopened, paused, re-aimed, and new ones appended to `clocks`."""
    ticket, now = context.ticket, context.now
    paused = ticket.status in context.pause_statuses
    for metric, start in _desired_starts(context).items():
        minutes = target_minutes(context.policy, ticket.priority, metric)
        running = next((c for c in clocks if c.metric == metric and c.completed_at is None), None)
        if running is not None and (
            start is None or minutes is None or running.started_at != start
        ):
            _stop(context, running, fulfilled=_fulfilled(context, metric))
            running = None
        if start is None or minutes is None:
            continue
        if running is None:
            running = _reopen_or_start(context, clocks, metric, start, minutes)
        running.target_minutes = minutes
        if paused and metric != Metric.PERIODIC_UPDATE:
            running.paused_at = running.paused_at or now
        elif running.paused_at is not None:
            running.paused_minutes += context.minutes(running.paused_at, now)
            running.paused_at = None
        _aim(context, running)


def clock_state(clock: SlaClock) -> tuple:
    return tuple(getattr(clock, field.attname) for field in SlaClock._meta.concrete_fields)


def _reopen_or_start(
    context: Context, clocks: list[SlaClock], metric: str, start: dt.datetime, minutes: int
) -> SlaClock:
    # A reopened ticket continues its earlier run; the time it was solved counts as a pause.
    earlier = [c for c in clocks if c.metric == metric and c.started_at == start]
    if earlier:
        clock = earlier[-1]
        clock.paused_at = clock.completed_at
        clock.completed_at = None
        clock.cancelled = False
        clock.business_minutes = None
        return clock
    clock = SlaClock(ticket=context.ticket, metric=metric, started_at=start, target_minutes=minutes)
    clocks.append(clock)
    return clock


def _aim(context: Context, clock: SlaClock) -> None:
    if clock.paused_at is not None:
        clock.due_at = clock.warn_at = None
        return
    schedule, base = context.schedule, clock.paused_minutes
    clock.due_at = add_business_minutes(schedule, clock.started_at, clock.target_minutes + base)
    clock.warn_at = add_business_minutes(
        schedule, clock.started_at, clock.target_minutes * WARN_FRACTION + base
    )


def _stop(context: Context, clock: SlaClock, *, fulfilled: bool) -> None:
    now = context.now
    if clock.paused_at is not None:
        clock.paused_minutes += context.minutes(clock.paused_at, now)
        clock.paused_at = None
    clock.completed_at = now
    clock.business_minutes = max(0.0, context.minutes(clock.started_at, now) - clock.paused_minutes)
    if clock.due_at is not None and now > clock.due_at and clock.breached_at is None:
        clock.breached_at = clock.due_at
    # Only a run that ended by doing its job is judged; an unbreached one that simply stopped
    # applying (solved without a reply, target removed) counts for nothing.
    clock.cancelled = not fulfilled and clock.breached_at is None


def ticket_summary(clocks: list[SlaClock], now: dt.datetime) -> dict:
    """The earliest due running clock goes on the ticket row, which the inbox lists read."""
    running = [c for c in clocks if c.completed_at is None and c.due_at is not None]
    nearest = min(running, key=lambda c: c.due_at, default=None)
    return {
        "sla_target": nearest.metric if nearest else "",
        "sla_due_at": nearest.due_at if nearest else None,
        "sla_breached": bool(nearest and (nearest.breached_at or nearest.due_at <= now)),
    }


def _write_ticket_summary(ticket: Ticket, clocks: list[SlaClock], now: dt.datetime) -> None:
    fields = ticket_summary(clocks, now)
    if any(getattr(ticket, name) != value for name, value in fields.items()):
        Ticket.objects.filter(pk=ticket.pk).update(**fields)  # not save(): keeps updated_at
        for name, value in fields.items():
            setattr(ticket, name, value)


def sla_refresh_open_tickets(*, batch: int = 500, include_unmeasured: bool = False) -> int:
    """Re-apply the policies to every unsolved ticket (after a policy or calendar edit).

    With `include_unmeasured`, solved tickets that have no SLA record yet (from before the app
    was installed) get one too, so reports cover them.
    """
    policies = active_policies()
    count = 0
    wanted = ~Q(status__in=DONE_STATUSES)
    if include_unmeasured:
        wanted |= Q(sla__isnull=True)
    ids = list(Ticket.objects.filter(wanted).order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), batch):
        tickets = Ticket.objects.select_related("customer").filter(
            pk__in=ids[start : start + batch]
        )
        for ticket in tickets:
            sla_record_event(ticket=ticket, event=None, policies=policies)
            count += 1
    return count
