"""Writes for the admin's SLA settings. Every change re-applies the policies to open tickets."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from .models import BusinessCalendar, BusinessHours, Closure, PolicyTarget, SlaPolicy


def _reapply_after_commit() -> None:
    from .tasks import sla_reapply_policies

    # Open tickets get new due times from the worker: an edit page never waits on thousands.
    transaction.on_commit(sla_reapply_policies.delay)


@transaction.atomic
def calendar_save(
    *,
    calendar: BusinessCalendar,
    weekly: dict[int, list[tuple[int, int]]],
    closures: list[tuple[dt.date, str]],
    teams=None,
) -> BusinessCalendar:
    if calendar.is_default:
        BusinessCalendar.objects.exclude(pk=calendar.pk).filter(is_default=True).update(
            is_default=False
        )
    calendar.full_clean()
    calendar.save()
    if teams is not None:
        calendar.teams.set(teams)
    calendar.hours.all().delete()
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=day, start_minute=start, end_minute=end)
        for day, intervals in weekly.items()
        for start, end in intervals
    )
    calendar.closures.all().delete()
    Closure.objects.bulk_create(
        Closure(calendar=calendar, date=day, name=name) for day, name in closures
    )
    _reapply_after_commit()
    return calendar


@transaction.atomic
def calendar_delete(*, calendar: BusinessCalendar) -> None:
    calendar.delete()
    _reapply_after_commit()


@transaction.atomic
def policy_save(
    *, policy: SlaPolicy, targets: dict[tuple[str, str], int], teams=(), organizations=()
) -> SlaPolicy:
    policy.full_clean()
    policy.save()
    policy.teams.set(teams)
    policy.organizations.set(organizations)
    policy.targets.all().delete()
    PolicyTarget.objects.bulk_create(
        PolicyTarget(policy=policy, priority=priority, metric=metric, minutes=minutes)
        for (priority, metric), minutes in sorted(targets.items())
    )
    _reapply_after_commit()
    return policy


@transaction.atomic
def policy_delete(*, policy: SlaPolicy) -> None:
    policy.delete()
    _reapply_after_commit()
