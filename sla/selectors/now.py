"""The "Now" dashboard: open work right now, read from live ticket rows (open work is small and
indexed by status)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Min, Q
from django.utils import timezone

from helpdesk.models import User
from tickets import presence
from tickets.models import UNSOLVED_STATUSES, Channel, Status, Ticket

ABOUT_TO_BREACH = dt.timedelta(hours=1)
LIST_LIMIT = 15
WAITING_STATUSES = (Status.NEW, Status.OPEN)


@dataclass
class NowSnapshot:
    by_channel: list[dict]
    by_team: list[dict]
    totals: dict
    chats_waiting: int
    longest_chat_wait: dt.timedelta | None
    breached: list[Ticket]
    breached_count: int
    at_risk: list[Ticket]
    at_risk_count: int
    agent_load: list[User]
    agents_online: int = 0
    at: dt.datetime = field(default_factory=timezone.now)


def _open_counts():
    return {
        "open": Count("id"),
        "unassigned": Count("id", filter=Q(assignee__isnull=True)),
        "waiting": Count("id", filter=Q(status__in=WAITING_STATUSES)),
    }


def now_snapshot(*, now: dt.datetime | None = None) -> NowSnapshot:
    """Open work right now (8 queries, each over unsolved tickets only)."""
    now = now or timezone.now()
    unsolved = Ticket.objects.filter(status__in=UNSOLVED_STATUSES)
    channel_labels = dict(Channel.choices)
    by_channel = [
        {**row, "label": channel_labels.get(row["channel"], row["channel"])}
        for row in unsolved.values("channel").annotate(**_open_counts()).order_by("-open")
    ]
    by_team = list(
        unsolved.values("team_id", team_name=F("team__name"))
        .annotate(**_open_counts())
        .order_by("-open", "team_name")
    )
    totals = {key: sum(row[key] for row in by_channel) for key in ("open", "unassigned", "waiting")}
    chats = unsolved.filter(
        channel=Channel.CHAT, status__in=WAITING_STATUSES, first_replied_at__isnull=True
    ).aggregate(count=Count("id"), oldest=Min("created_at"))
    breached = unsolved.filter(Q(sla_breached=True) | Q(sla_due_at__lte=now))
    at_risk = unsolved.filter(sla_due_at__gt=now, sla_due_at__lte=now + ABOUT_TO_BREACH)
    listed = ("assignee", "team")
    breached_rows = list(breached.select_related(*listed).order_by("sla_due_at")[:LIST_LIMIT])
    at_risk_rows = list(at_risk.select_related(*listed).order_by("sla_due_at")[:LIST_LIMIT])
    # Both counts and the load below read only the unsolved tickets (a partial index), never
    # the million solved ones.
    counts = unsolved.aggregate(
        breached=Count("id", filter=Q(sla_breached=True) | Q(sla_due_at__lte=now)),
        at_risk=Count("id", filter=Q(sla_due_at__gt=now, sla_due_at__lte=now + ABOUT_TO_BREACH)),
    )
    per_agent = {
        row["assignee"]: row
        for row in unsolved.filter(assignee__isnull=False)
        .values("assignee")
        .annotate(
            open_count=Count("id"),
            waiting_count=Count("id", filter=Q(status__in=WAITING_STATUSES)),
        )
        .order_by()
    }
    load = list(User.objects.filter(is_active=True, role__in=["admin", "manager", "agent"]))
    for user in load:
        row = per_agent.get(user.pk, {})
        user.open_count = row.get("open_count", 0)
        user.waiting_count = row.get("waiting_count", 0)
    load.sort(key=lambda user: (-user.open_count, user.name, user.email))
    peak = max((user.open_count for user in load), default=0)
    # Who has a live inbox open (their socket was heard from in the last two minutes): they
    # are the ones who can take the waiting work now, so they come first.
    online = set(presence.agents_online())
    for user in load:
        user.load_share = round(100 * user.open_count / peak) if peak else 0
        user.is_online = user.pk in online
    load.sort(key=lambda user: not user.is_online)  # stable: load order kept within each
    return NowSnapshot(
        by_channel=by_channel,
        by_team=by_team,
        totals=totals,
        chats_waiting=chats["count"],
        longest_chat_wait=(now - chats["oldest"]) if chats["oldest"] else None,
        breached=breached_rows,
        breached_count=counts["breached"],
        at_risk=at_risk_rows,
        at_risk_count=counts["at_risk"],
        agent_load=load,
        agents_online=sum(1 for user in load if user.is_online),
        at=now,
    )
