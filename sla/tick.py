"""The minute tick: warn ahead, mark breaches, run the policy's escalations.

Idempotent: each clock is warned once (warned_at), breached once (breached_at) and escalated once
(escalated_at), so a tick that runs twice or late does nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from helpdesk.models import Role, User
from tickets import realtime
from tickets import services as ticket_services
from tickets.models import Ticket

from . import rollups
from .alerts import notify_sla_alert
from .models import SlaClock, TicketSla
from .policies import PRIORITY_RANK

log = logging.getLogger(__name__)

AUTOMATION_EMAIL = "sla-automation@madoguchi.invalid"
BATCH = 500


def automation_user() -> User:
    """The staff account escalations act as: cannot sign in, never offered as an assignee."""
    user, created = User.objects.get_or_create(
        email=AUTOMATION_EMAIL, defaults={"name": "SLA", "role": Role.LIGHT_AGENT}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def sla_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    warned = _warn(now)
    breached = _breach(now)
    return {"warned": warned, "breached": breached}


def _running():
    return SlaClock.objects.filter(completed_at__isnull=True, paused_at__isnull=True)


def _warn(now: dt.datetime) -> int:
    with transaction.atomic():
        clocks = list(
            _running()
            .filter(warned_at__isnull=True, warn_at__lte=now, breached_at__isnull=True)
            .select_related("ticket")
            .select_for_update(of=("self",), skip_locked=True)[:BATCH]
        )
        for clock in clocks:
            clock.warned_at = now
            _publish("sla.warning", clock, now)
        SlaClock.objects.bulk_update(clocks, ["warned_at"])
    return len(clocks)


def _breach(now: dt.datetime) -> int:
    with transaction.atomic():
        clocks = list(
            _running()
            .filter(breached_at__isnull=True, due_at__lte=now)
            .select_related("ticket")
            .select_for_update(of=("self",), skip_locked=True)[:BATCH]
        )
        for clock in clocks:
            clock.breached_at = clock.due_at
            clock.warned_at = clock.warned_at or now
            _publish("sla.breached", clock, now)
        SlaClock.objects.bulk_update(clocks, ["breached_at", "warned_at"])
        # A running clock that breached now counts as breached in its due hour's rollup.
        rollups.mark_hours(*(clock.breached_at for clock in clocks))
        ticket_ids = {clock.ticket_id for clock in clocks}
        Ticket.objects.filter(pk__in=ticket_ids, sla_due_at__lte=now).update(sla_breached=True)
    for clock in clocks:
        _escalate(clock, now)
    return len(clocks)


def _publish(event_type: str, clock: SlaClock, now: dt.datetime) -> None:
    # The assignee's and the team's inboxes react to these (badge, list refresh); the agent
    # socket forwards them to every signed-in agent who may see the ticket.
    ticket = clock.ticket
    realtime.publish(
        event_type,
        ticket=ticket.pk,
        metric=clock.metric,
        due_at=clock.due_at.isoformat() if clock.due_at else None,
        assignee=ticket.assignee_id,
        team=ticket.team_id,
    )
    # The people who must act get a bell row and their own alert, not only a badge that
    # changes colour; both are filed in this transaction, with the clock's warned/breached mark.
    notify_sla_alert(clock, breached=event_type == "sla.breached", now=now)


def _escalate(clock: SlaClock, now: dt.datetime) -> None:
    state = TicketSla.objects.select_related("policy").filter(ticket_id=clock.ticket_id).first()
    policy = state.policy if state else None
    if policy is None or not (policy.escalate_priority or policy.escalate_team_id):
        return
    with transaction.atomic():
        marked = SlaClock.objects.filter(pk=clock.pk, escalated_at__isnull=True).update(
            escalated_at=now
        )
        if not marked:
            return
        ticket = Ticket.objects.get(pk=clock.ticket_id)
        if ticket.status in ("solved", "closed"):
            return
        priority = None
        if policy.escalate_priority and PRIORITY_RANK[policy.escalate_priority] > PRIORITY_RANK.get(
            ticket.priority, 0
        ):
            priority = policy.escalate_priority
        team = False
        if policy.escalate_team_id and policy.escalate_team_id != ticket.team_id:
            team = policy.escalate_team
        if priority is None and team is False:
            return
        ticket_services.update_ticket(
            ticket=ticket, actor=automation_user(), priority=priority, team=team
        )
        log.info("SLA escalation on ticket %s (%s)", ticket.pk, clock.metric)
