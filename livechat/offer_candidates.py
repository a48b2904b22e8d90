"""Who may be offered a waiting chat (livechat/offers.py does the offering): online agents
who may see the ticket and have room for one more chat, least loaded first; and whether a
chat waits for an agent at all."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.db.models import Count, Max
from django.utils import timezone

from helpdesk.models import Role, User
from tickets import access, presence
from tickets.models import UNSOLVED_STATUSES, Channel, Status, Ticket

from .models import BotOutcome, ChatBotTurn, ChatChannel, ChatConversation, ChatOffer

WAITING_STATUSES = (Status.NEW, Status.OPEN)
ASSIGNABLE_ROLES = (Role.ADMIN, Role.MANAGER, Role.AGENT)  # light agents cannot answer
DEFAULT_CHAT_CAPACITY = 3


def chat_channel_of(ticket_id: int) -> ChatChannel | None:
    conversation = (
        ChatConversation.objects.filter(ticket_id=ticket_id)
        .select_related("visitor__channel")
        .order_by("id")
        .first()
    )
    return conversation.visitor.channel if conversation else None


def _capacities(agent_ids: list[int]) -> tuple[dict[int, int], int]:
    """Per-agent chat capacity and the default, from the automations app when installed
    (its `AgentCapacity` rows are where managers set them)."""
    if not apps.is_installed("automations"):
        return {}, DEFAULT_CHAT_CAPACITY
    from automations.assignment import default_capacity  # lazy: livechat works without it
    from automations.models import AgentCapacity

    limits = dict(
        AgentCapacity.objects.filter(user_id__in=agent_ids, channel=Channel.CHAT).values_list(
            "user_id", "max_open"
        )
    )
    return limits, default_capacity(Channel.CHAT)


def chat_loads(agent_ids: list[int]) -> dict[int, int]:
    """Open chats each agent holds now (what capacity counts)."""
    return dict(
        Ticket.objects.filter(
            assignee_id__in=agent_ids, channel=Channel.CHAT, status__in=UNSOLVED_STATUSES
        )
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
    )


def anyone_has_room() -> bool:
    """Whether any online agent who may answer chats has room for one more: when none has,
    no waiting chat can be offered, and the sweep need not try each one (3 queries instead of
    a few per waiting chat, every few seconds, while the team is full)."""
    online = presence.agents_online()
    if not online:
        return False
    ids = list(
        User.objects.filter(pk__in=online, is_active=True, role__in=ASSIGNABLE_ROLES).values_list(
            "pk", flat=True
        )
    )
    loads = chat_loads(ids)
    limits, fallback = _capacities(ids)
    return any(loads.get(pk, 0) < limits.get(pk, fallback) for pk in ids)


def offer_candidates(ticket: Ticket) -> list[User]:
    """Online agents who may see the ticket, have room for one more chat and were not offered
    this chat yet, best first: the least loaded, then whoever waited longest for an offer."""
    online = presence.agents_online()
    if not online:
        return []
    tried = set(ChatOffer.objects.filter(ticket=ticket).values_list("agent_id", flat=True))
    members = User.objects.filter(pk__in=online, is_active=True, role__in=ASSIGNABLE_ROLES)
    if ticket.team_id:
        members = members.filter(teams=ticket.team_id)
    agents = [u for u in members.exclude(pk__in=tried).order_by("pk") if access.can_see(u, ticket)]
    if not agents:
        return []
    ids = [u.pk for u in agents]
    loads = chat_loads(ids)
    limits, fallback = _capacities(ids)
    free = [u for u in agents if loads.get(u.pk, 0) < limits.get(u.pk, fallback)]
    last_offer = dict(
        ChatOffer.objects.filter(agent_id__in=ids)
        .values_list("agent_id")
        .annotate(at=Max("offered_at"))
    )
    epoch = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    return sorted(
        free,
        key=lambda u: (
            loads.get(u.pk, 0) / max(limits.get(u.pk, fallback), 1),
            last_offer.get(u.pk) or epoch,
            u.pk,
        ),
    )


def bot_holds(ticket_id: int) -> bool:
    """The answer bot answered and the visitor has not asked for a person yet."""
    return ChatBotTurn.objects.filter(
        conversation__ticket_id=ticket_id, outcome=BotOutcome.ANSWERED
    ).exists()


def is_waiting(ticket: Ticket) -> bool:
    """A chat that wants an agent: unassigned, new or open, the visitor still in it."""
    if (
        ticket.channel != Channel.CHAT
        or ticket.assignee_id
        or ticket.status not in WAITING_STATUSES
    ):
        return False
    conversations = ChatConversation.objects.filter(ticket=ticket)
    if not conversations.filter(ended_at__isnull=True).exists():
        return False
    return not bot_holds(ticket.pk)
