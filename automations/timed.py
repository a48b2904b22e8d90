"""Time automations: "solved for 4 days → close", "pending for 3 days → remind the customer",
"unassigned for 2 hours → escalate", "SLA due within 30 minutes → notify".

A beat task (`tasks.run_time_automations`, every minute) asks PostgreSQL, per active time
automation, for the tickets whose moment (created, last update, status set, customer's or
agent's last message, SLA due) lies far enough back and whose other conditions hold — a range
scan over an indexed column (`Ticket.created_at` / `updated_at` / `sla_due_at`, or the
`TicketClock` indexes), never a loop over every ticket — and takes them in batches, oldest
first, so a new rule over a large backlog catches up over a few ticks.

Each firing is its own transaction: the ticket row is locked, the conditions are checked again,
the `TimedFiring` row is upserted and the actions run. The unique (automation, ticket) row is
what makes a firing happen once: a rule fires again on a ticket only after the moment it counts
from has moved past the recorded one (someone updated the ticket, the customer wrote again, the
status changed). Changes the automation made itself are recorded as the new moment, so they
never restart its own clock.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from tickets.models import UNSOLVED_STATUSES, Status, Ticket

from .engine import CAPPED, _log, apply_automation, runs_capped
from .models import (
    AssigneeCondition,
    Automation,
    AutomationEvent,
    RunKind,
    RunOutcome,
    TimeBasis,
    TimedFiring,
)

log = logging.getLogger(__name__)

BATCH = 200
MAX_BATCHES = 10  # per automation and tick: 2,000 tickets; the rest wait for the next tick
EVENT = "time"
FAILED = gettext_noop("The automation failed on this ticket; it will not be retried.")

BASIS_FIELD = {
    TimeBasis.CREATED: "created_at",
    TimeBasis.UPDATED: "updated_at",
    TimeBasis.CUSTOMER_MESSAGE: "automation_clock__customer_message_at",
    TimeBasis.AGENT_REPLY: "automation_clock__agent_reply_at",
    TimeBasis.STATUS: "automation_clock__status_since",
    TimeBasis.SLA_DUE_SOON: "sla_due_at",
    TimeBasis.SLA_BREACHED: "sla_due_at",
}


def time_automations() -> QuerySet[Automation]:
    return (
        Automation.objects.filter(
            active=True, event=AutomationEvent.TIME, time_amount__isnull=False
        )
        .exclude(time_basis="")
        .select_related("set_team", "assign_to", "webhook")
        .order_by("position", "id")
    )


def due_tickets(automation: Automation, now: datetime) -> QuerySet[Ticket]:
    """Tickets `automation` should fire on now, annotated with `basis_at`, oldest first.

    Closed and merged tickets are never touched (like every helpdesk's time rules).
    """
    basis = automation.time_basis
    field = BASIS_FIELD[basis]
    delta = automation.time_delta
    tickets = Ticket.objects.filter(merged_into__isnull=True).exclude(status=Status.CLOSED)
    if basis == TimeBasis.SLA_DUE_SOON:
        tickets = tickets.filter(
            sla_due_at__gt=now,
            sla_due_at__lte=now + delta,
            sla_breached=False,
            status__in=UNSOLVED_STATUSES,
        )
    elif basis == TimeBasis.SLA_BREACHED:
        tickets = tickets.filter(sla_due_at__lte=now - delta, status__in=UNSOLVED_STATUSES)
    else:
        tickets = tickets.filter(**{f"{field}__lte": now - delta})
    if basis == TimeBasis.STATUS:
        # A clock that missed a change (a write that sent no signal) does not count.
        tickets = tickets.filter(automation_clock__status=F("status"))
    tickets = _conditions(automation, tickets)
    fired = TimedFiring.objects.filter(
        automation_id=automation.pk, ticket_id=OuterRef("pk"), basis_at__gte=OuterRef("basis_at")
    )
    return tickets.annotate(basis_at=F(field)).filter(~Exists(fired)).order_by("basis_at", "pk")


def _conditions(automation: Automation, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    if automation.channels:
        tickets = tickets.filter(channel__in=automation.channels)
    if automation.statuses:
        tickets = tickets.filter(status__in=automation.statuses)
    if automation.priorities:
        tickets = tickets.filter(priority__in=automation.priorities)
    if automation.team_id:
        tickets = tickets.filter(team_id=automation.team_id)
    if automation.assignee_is == AssigneeCondition.UNASSIGNED:
        tickets = tickets.filter(assignee__isnull=True)
    elif automation.assignee_is == AssigneeCondition.ASSIGNED:
        tickets = tickets.filter(assignee__isnull=False)
    tagged = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"))
    if automation.tags:
        tickets = tickets.filter(Exists(tagged.filter(tag__name__in=automation.tags)))
    if automation.without_tags:
        tickets = tickets.filter(~Exists(tagged.filter(tag__name__in=automation.without_tags)))
    return tickets


def run_time_automations(
    *, now: datetime | None = None, batch: int = BATCH, max_batches: int = MAX_BATCHES
) -> dict[int, int]:
    """One tick: fire every active time automation on its due tickets; {automation id: fired}."""
    now = now or timezone.now()
    fired: dict[int, int] = {}
    for automation in time_automations():
        fired[automation.pk] = _run_one(automation, now, batch, max_batches)
    return fired


def _run_one(automation: Automation, now: datetime, batch: int, max_batches: int) -> int:
    fired = 0
    after: tuple[datetime, int] | None = None
    for _ in range(max_batches):
        due = due_tickets(automation, now)
        if after is not None:
            # Keyset paging: a ticket that was skipped is not fetched again in this tick.
            due = due.filter(Q(basis_at__gt=after[0]) | Q(basis_at=after[0], pk__gt=after[1]))
        rows = list(due.values_list("basis_at", "pk")[:batch])
        for _basis_at, ticket_id in rows:
            fired += fire_on_ticket(automation, ticket_id, now)
        if len(rows) < batch:
            break
        after = rows[-1]
    return fired


def fire_on_ticket(automation: Automation, ticket_id: int, now: datetime) -> bool:
    """Fire `automation` on one ticket if it is still due; True when it fired."""
    try:
        with transaction.atomic():
            return _fire(automation, ticket_id, now)
    except Exception as exc:  # one broken ticket must not stop the rule for all the others
        log.exception("time automation %s failed on ticket %s", automation.pk, ticket_id)
        _record_failure(automation, ticket_id, now, exc)
        return False


def _fire(automation: Automation, ticket_id: int, now: datetime) -> bool:
    # The lock orders this against agents' writes and a second tick running at the same time;
    # the conditions are then read again under it.
    locked = Ticket.objects.select_for_update().filter(pk=ticket_id).values_list("pk", flat=True)
    if not list(locked):
        return False
    basis_at = (
        due_tickets(automation, now).filter(pk=ticket_id).values_list("basis_at", flat=True).first()
    )
    if basis_at is None:
        return False
    ticket = Ticket.objects.select_related("customer", "team", "assignee").get(pk=ticket_id)
    if runs_capped(ticket):
        _log(
            ticket,
            RunKind.AUTOMATION,
            automation.name,
            EVENT,
            automation=automation,
            outcome=RunOutcome.SKIPPED,
            detail=CAPPED,
        )
        return False
    if not _claim(automation.pk, ticket_id, basis_at, now):
        return False
    apply_automation(automation, ticket, EVENT, None)
    # What the actions moved themselves (an update, a status) does not restart this rule.
    after = (
        Ticket.objects.filter(pk=ticket_id)
        .annotate(b=F(BASIS_FIELD[automation.time_basis]))
        .values_list("b", flat=True)
        .first()
    )
    if after is not None and after > basis_at:
        TimedFiring.objects.filter(automation_id=automation.pk, ticket_id=ticket_id).update(
            basis_at=after
        )
    return True


CLAIM_SQL = """
INSERT INTO automations_timedfiring AS f (automation_id, ticket_id, basis_at, fired_at, times)
VALUES (%s, %s, %s, %s, 1)
ON CONFLICT (automation_id, ticket_id) DO UPDATE
    SET basis_at = EXCLUDED.basis_at, fired_at = EXCLUDED.fired_at, times = f.times + 1
    WHERE f.basis_at < EXCLUDED.basis_at
RETURNING f.id
"""


def _claim(automation_id: int, ticket_id: int, basis_at: datetime, now: datetime) -> bool:
    """Record the firing; False when it is already recorded for this moment (or a later one)."""
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [automation_id, ticket_id, basis_at, now])
        return cursor.fetchone() is not None


def _record_failure(automation: Automation, ticket_id: int, now: datetime, exc: Exception) -> None:
    """Mark the firing done anyway, so a broken ticket is not retried every minute forever."""
    try:
        with transaction.atomic():
            ticket = Ticket.objects.filter(pk=ticket_id).first()
            if ticket is None:
                return
            basis_at = (
                Ticket.objects.filter(pk=ticket_id)
                .annotate(b=F(BASIS_FIELD[automation.time_basis]))
                .values_list("b", flat=True)
                .first()
            )
            if basis_at is not None:
                _claim(automation.pk, ticket_id, basis_at, now)
            _log(
                ticket,
                RunKind.AUTOMATION,
                automation.name,
                EVENT,
                automation=automation,
                outcome=RunOutcome.FAILED,
                detail=FAILED,
            )
    except Exception:
        log.exception("could not record the failure of automation %s", automation.pk)
