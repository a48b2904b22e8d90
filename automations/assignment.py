"""Automatic assignment: pick one online member of the ticket's team who has room for it."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_noop

from helpdesk.models import Role, User
from tickets.models import UNSOLVED_STATUSES, Ticket
from tickets.presence import agents_online

from .matching import _language
from .models import (
    DEFAULT_CAPACITY,
    DEFAULT_CAPACITY_OTHER,
    AgentCapacity,
    AssignmentMode,
    Product,
    ProductMatch,
    TeamAssignment,
)

# Reasons are stored in English and translated where the log is shown.
NOBODY_ONLINE = gettext_noop("Nobody in the team is online.")
AT_CAPACITY = gettext_noop("Everyone online is at capacity.")
NO_PRODUCT_SKILL = gettext_noop("Nobody online with the product skill has room.")
ASSIGNABLE_ROLES = (Role.ADMIN, Role.MANAGER, Role.AGENT)  # light agents cannot answer


def default_capacity(channel: str) -> int:
    return DEFAULT_CAPACITY.get(channel, DEFAULT_CAPACITY_OTHER)


def ticket_products(ticket: Ticket) -> list[Product]:
    """The active products whose tag the ticket carries."""
    return list(Product.objects.filter(active=True, tag__in=ticket.tags.values("name")))


def choose_assignee(ticket: Ticket) -> tuple[User | None, str]:
    """The agent to give this ticket to, or None with the reason nobody was picked.

    Must run inside the ticket write's transaction: it locks the team's assignment row, so
    two tickets created at once cannot both go to the same "next" agent of a round robin.
    """
    policy = (
        TeamAssignment.objects.select_for_update()
        .filter(team_id=ticket.team_id, active=True)
        .first()
    )
    if policy is None:
        return None, ""
    online = agents_online()
    members = User.objects.filter(
        teams=ticket.team_id, pk__in=online, is_active=True, role__in=ASSIGNABLE_ROLES
    ).order_by("pk")
    language = _language(ticket.customer.language)
    if policy.match_language and language:
        members = members.filter(skills__languages__contains=[language])
    candidates = list(members)
    if not candidates:
        return None, NOBODY_ONLINE
    loads = dict(
        Ticket.objects.filter(
            assignee__in=candidates, channel=ticket.channel, status__in=UNSOLVED_STATUSES
        )
        .exclude(pk=ticket.pk)
        .values_list("assignee")
        .annotate(n=Count("pk"))
    )
    limits = dict(
        AgentCapacity.objects.filter(user__in=candidates, channel=ticket.channel).values_list(
            "user_id", "max_open"
        )
    )
    fallback = default_capacity(ticket.channel)
    free = [u for u in candidates if loads.get(u.pk, 0) < limits.get(u.pk, fallback)]
    if policy.match_product:
        products = ticket_products(ticket)
        if products:
            skilled = set(
                User.objects.filter(
                    pk__in=[u.pk for u in free], skills__products__in=products
                ).values_list("pk", flat=True)
            )
            preferred = [u for u in free if u.pk in skilled]
            if preferred:
                free = preferred
            elif policy.match_product == ProductMatch.REQUIRE:
                return None, NO_PRODUCT_SKILL
    if not free:
        return None, AT_CAPACITY
    if policy.mode == AssignmentMode.LEAST_LOADED:
        chosen = min(free, key=lambda u: (loads.get(u.pk, 0) / limits.get(u.pk, fallback), u.pk))
    else:
        after = policy.last_assigned_id or 0
        chosen = next((u for u in free if u.pk > after), free[0])
    policy.last_assigned = chosen
    policy.save(update_fields=["last_assigned"])
    return chosen, ""
