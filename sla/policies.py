"""Which policy and which business calendar govern a ticket."""

from __future__ import annotations

from django.db.models import Prefetch

from tickets.config_snapshot import remembered
from tickets.models import Ticket

from .business_time import BusinessSchedule
from .models import BusinessCalendar, PolicyTarget, SlaPolicy

# Without any calendar the clock runs around the clock.
ALWAYS_OPEN = BusinessSchedule(time_zone="UTC", weekly={day: [(0, 1440)] for day in range(7)})

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def active_policies() -> list[SlaPolicy]:
    """Active policies in order, with what matching and targets need (4 queries; none for the
    next inbound messages of a worker's snapshot, tickets.config_snapshot)."""
    return remembered(
        "sla.active_policies",
        lambda: list(
            SlaPolicy.objects.filter(active=True)
            .select_related("calendar")
            .prefetch_related(
                "teams",
                "organizations",
                Prefetch("targets", queryset=PolicyTarget.objects.order_by("id")),
            )
            .order_by("position", "id")
        ),
    )


def policy_matches(policy: SlaPolicy, ticket: Ticket) -> bool:
    """Every condition that is set must hold; a policy with no conditions matches all tickets."""
    if policy.channels and ticket.channel not in policy.channels:
        return False
    if policy.priorities and ticket.priority not in policy.priorities:
        return False
    team_ids = {team.pk for team in policy.teams.all()}
    if team_ids and ticket.team_id not in team_ids:
        return False
    customer = ticket.customer
    if policy.customer_tags:
        tags = {tag.lower() for tag in customer.tags or ()}
        if not tags & {tag.lower() for tag in policy.customer_tags}:
            return False
    organization_ids = {organization.pk for organization in policy.organizations.all()}
    if organization_ids and customer.organization_id not in organization_ids:
        return False
    return policy.vip is None or customer.vip == policy.vip


def policy_for_ticket(ticket: Ticket, policies: list[SlaPolicy]) -> SlaPolicy | None:
    return next((policy for policy in policies if policy_matches(policy, ticket)), None)


def target_minutes(policy: SlaPolicy | None, priority: str, metric: str) -> int | None:
    if policy is None:
        return None
    for target in policy.targets.all():
        if target.priority == priority and target.metric == metric:
            return target.minutes
    return None


def calendar_for_ticket(ticket: Ticket, policy: SlaPolicy | None) -> BusinessCalendar | None:
    """The team's own calendar first (teams work their hours), then the policy's, then default."""
    key = ("sla.calendar", ticket.team_id, policy.calendar_id if policy is not None else None)
    return remembered(key, lambda: _calendar_for_ticket(ticket, policy))


def _calendar_for_ticket(ticket: Ticket, policy: SlaPolicy | None) -> BusinessCalendar | None:
    calendars = BusinessCalendar.objects.prefetch_related("hours", "closures")
    if ticket.team_id:
        team_calendar = calendars.filter(teams=ticket.team_id).order_by("id").first()
        if team_calendar:
            return team_calendar
    if policy is not None and policy.calendar_id:
        return calendars.get(pk=policy.calendar_id)
    return calendars.filter(is_default=True).first()


def schedule_of(calendar: BusinessCalendar | None) -> BusinessSchedule:
    return calendar.schedule() if calendar is not None else ALWAYS_OPEN
