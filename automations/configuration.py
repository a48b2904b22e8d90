"""Writes behind the settings pages (rules, team assignment, agent capacities and skills)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Model

from helpdesk.models import User
from tickets.models import Team

from .models import AgentCapacity, AgentSkills, Product, TeamAssignment


def rule_save(instance: Model) -> Model:
    instance.full_clean()
    instance.save()
    return instance


def team_assignment_for(team: Team) -> TeamAssignment:
    return TeamAssignment.objects.filter(team=team).first() or TeamAssignment(
        team=team, active=False
    )


@transaction.atomic
def agent_settings_save(
    *,
    user: User,
    languages: list[str],
    capacities: dict[str, int | None],
    products: Iterable[Product] | None = None,
) -> None:
    skills, _ = AgentSkills.objects.update_or_create(user=user, defaults={"languages": languages})
    if products is not None:
        skills.products.set(products)
    for channel, limit in capacities.items():
        if limit is None:
            AgentCapacity.objects.filter(user=user, channel=channel).delete()
        else:
            AgentCapacity.objects.update_or_create(
                user=user, channel=channel, defaults={"max_open": limit}
            )
