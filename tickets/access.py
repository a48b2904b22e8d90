"""Which tickets a staff member may see: the ONE rule every list, page, API call and socket uses.

settings.TICKET_VISIBILITY:
- "all" (default): every staff member sees every ticket (small teams);
- "team": admins and managers see all; agents and light agents see the tickets of their teams,
  tickets without a team, and tickets assigned to them.

Everything else asks here: `visible_tickets` narrows a queryset (a subquery, never an extra
query), `can_see` answers for one ticket, `visible_ticket_ids` for a batch (bulk, merge). A
ticket the viewer may not see is treated as if it did not exist (404, "no such ticket").
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core import checks
from django.db.models import Q, QuerySet

from helpdesk.models import Role, User

from .models import Team, Ticket

TEAM_SCOPED_ROLES = frozenset({Role.AGENT, Role.LIGHT_AGENT})
VISIBILITY_MODES = ("all", "team")


def check_visibility_setting(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A typo ("teams") must not quietly show every ticket to everyone: refuse to start."""
    if settings.TICKET_VISIBILITY in VISIBILITY_MODES:
        return []
    return [
        checks.Error(
            f"TICKET_VISIBILITY is {settings.TICKET_VISIBILITY!r}; use 'all' or 'team'.",
            id="tickets.E001",
        )
    ]


def sees_all(user: User) -> bool:
    """True when no narrowing applies to this user (no per-row check is needed)."""
    if not (user and user.is_authenticated and user.is_staff_member):
        return False
    return settings.TICKET_VISIBILITY != "team" or user.role not in TEAM_SCOPED_ROLES


def visibility_q(user: User) -> Q:
    """The filter on Ticket rows this user may see (an empty Q means all of them)."""
    if not (user and user.is_authenticated and user.is_staff_member):
        return Q(pk__in=[])
    if sees_all(user):
        return Q()
    my_teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    return Q(team__isnull=True) | Q(team_id__in=my_teams) | Q(assignee_id=user.pk)


def visible_tickets(user: User, tickets: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """`tickets` (default: all) narrowed to what `user` may see."""
    tickets = Ticket.objects.all() if tickets is None else tickets
    q = visibility_q(user)
    return tickets.filter(q) if q else tickets


def visible_related(user: User, rows: QuerySet, ticket_field: str) -> QuerySet:
    """Rows of another model (attachments, links) whose `ticket_field` is a visible ticket;
    untouched when the user sees everything (no subquery over every ticket for nothing)."""
    if sees_all(user):
        return rows
    return rows.filter(**{f"{ticket_field}__in": visible_tickets(user).values("pk")})


def can_see(user: User, ticket: Ticket) -> bool:
    """One ticket already in memory; asks the database only when membership matters."""
    if not (user and user.is_authenticated and user.is_staff_member):
        return False
    if sees_all(user):
        return True
    if ticket.team_id is None or ticket.assignee_id == user.pk:
        return True
    return Team.members.through.objects.filter(user_id=user.pk, team_id=ticket.team_id).exists()


def can_see_id(user: User, ticket_id: int) -> bool:
    """For callers holding only an id (the agent socket): one query at most."""
    if not (user and user.is_authenticated and user.is_staff_member):
        return False
    return visible_tickets(user).filter(pk=ticket_id).exists()


def visible_ticket_ids(user: User, ticket_ids: Iterable[int]) -> set[int]:
    """Those of `ticket_ids` that exist and `user` may see: one query."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    return set(visible_tickets(user).filter(pk__in=ids).values_list("pk", flat=True))
