"""The "Now" dashboard: open work right now, read from live ticket rows (open work is small and
indexed by status)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q
from django.utils import timezone

from helpdesk.models import User
from tickets import presence
from tickets.models import UNSOLVED_STATUSES, Channel, Status, Team, Ticket

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


def now_snapshot(*, now: dt.datetime | None = None) -> NowSnapshot:
    """Open work right now (5 queries; the unsolved tickets are read once).

    Every count — per channel, per team, per agent, breached, about to breach, chats waiting —
    comes from one grouped pass over the unsolved tickets (a partial index), folded here: five
    separate aggregates each paid for the same 50k-row scan.
    """
    now = now or timezone.now()
    unsolved = Ticket.objects.filter(status__in=UNSOLVED_STATUSES)
    waiting = Q(status__in=WAITING_STATUSES)
    overdue = Q(sla_breached=True) | Q(sla_due_at__lte=now)
    soon = Q(sla_due_at__gt=now, sla_due_at__lte=now + ABOUT_TO_BREACH)
    chat_waiting = Q(channel=Channel.CHAT, first_replied_at__isnull=True) & waiting
    groups = list(
        unsolved.values("channel", "team_id", "assignee_id")
        .annotate(
            open=Count("id"),
            waiting=Count("id", filter=waiting),
            breached=Count("id", filter=overdue),
            at_risk=Count("id", filter=soon),
            chats=Count("id", filter=chat_waiting),
            oldest_chat=Min("created_at", filter=chat_waiting),
        )
        .order_by()
    )
    channels: dict[str, dict] = {}
    teams: dict[int | None, dict] = {}
    per_agent: dict[int, dict] = {}
    chats, oldest, breached_count, at_risk_count = 0, None, 0, 0
    for row in groups:
        unassigned = row["open"] if row["assignee_id"] is None else 0
        for bucket in (
            channels.setdefault(row["channel"], {"channel": row["channel"]}),
            teams.setdefault(row["team_id"], {"team_id": row["team_id"]}),
        ):
            bucket["open"] = bucket.get("open", 0) + row["open"]
            bucket["unassigned"] = bucket.get("unassigned", 0) + unassigned
            bucket["waiting"] = bucket.get("waiting", 0) + row["waiting"]
        if row["assignee_id"] is not None:
            agent = per_agent.setdefault(row["assignee_id"], {"open_count": 0, "waiting_count": 0})
            agent["open_count"] += row["open"]
            agent["waiting_count"] += row["waiting"]
        chats += row["chats"]
        if row["oldest_chat"] and (oldest is None or row["oldest_chat"] < oldest):
            oldest = row["oldest_chat"]
        breached_count += row["breached"]
        at_risk_count += row["at_risk"]
    channel_labels = dict(Channel.choices)
    by_channel = [
        {**row, "label": channel_labels.get(row["channel"], row["channel"])}
        for row in sorted(channels.values(), key=lambda row: (-row["open"], row["channel"]))
    ]
    names = dict(Team.objects.filter(pk__in=[k for k in teams if k]).values_list("pk", "name"))
    for team_id, row in teams.items():
        row["team_name"] = names.get(team_id)
    by_team = sorted(
        teams.values(),
        key=lambda row: (-row["open"], row["team_name"] is None, row["team_name"] or ""),
    )
    totals = {key: sum(row[key] for row in by_channel) for key in ("open", "unassigned", "waiting")}
    listed = ("assignee", "team")
    breached_rows = list(
        unsolved.filter(overdue).select_related(*listed).order_by("sla_due_at")[:LIST_LIMIT]
    )
    at_risk_rows = list(
        unsolved.filter(soon).select_related(*listed).order_by("sla_due_at")[:LIST_LIMIT]
    )
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
        chats_waiting=chats,
        longest_chat_wait=(now - oldest) if oldest else None,
        breached=breached_rows,
        breached_count=breached_count,
        at_risk=at_risk_rows,
        at_risk_count=at_risk_count,
        agent_load=load,
        agents_online=sum(1 for user in load if user.is_online),
        at=now,
    )
