"""The ticket page's inline editors: the property selects, the ticket's tags and the @mention
list, from one query and written in Python.

The assignee select lists every agent (fifty in a mid-sized team): as a template loop with a
`selected` test and a translated "(me)" per option it cost as much as the rest of the sidebar,
and agents, teams and the ticket's tags were three queries. They are one UNION here (as the
inbox's bulk bar does, tickets.templatetags.inbox_tags), read on every view so a renamed agent
or a new team is on the next page without any cache to invalidate. The same query says whether
the ticket has any follow-up/split link at all: most have none, and the permission-filtered
query that lists them (the ORM building it cost ~15% of the page) is then skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from html import escape

from django.db import connection
from django.db.models import Q, Value
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import selectors
from .models import Priority, Status, Tag, Ticket, TicketLink

_AGENT, _TEAM, _TAG, _LINK = 0, 1, 2, 3
# Stands for the ticket's id in the compiled query (no ticket has a negative id).
_SENTINEL = -7_654_321


@dataclass(frozen=True)
class TicketEditors:
    status_options: SafeString
    priority_options: SafeString
    assignee_options: SafeString  # after the page's own "— Unassigned —" option
    team_options: SafeString  # after the page's own "— No team —" option
    tag_names: list[str]
    mention_agents: list[dict[str, str]]  # the composer's @mention list, the viewer left out
    # Whether any follow-up or split link touches the ticket, whoever may see the other side:
    # only then is it worth asking which of them the viewer may see (selectors.ticket_links).
    has_links: bool


def ticket_editors(*, ticket: Ticket, viewer) -> TicketEditors:
    """Everything the properties form and the composer list for `ticket`: one query."""
    sql, params = _editors_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket.pk if _is_sentinel(p) else p for p in params])
        rows = cursor.fetchall()
    people, groups, tag_names, has_links = [], [], [], False
    for kind, pk, name, email in rows:
        if kind == _AGENT:
            people.append((pk, name or email.split("@")[0], email))
        elif kind == _TEAM:
            groups.append((pk, name))
        elif kind == _TAG:
            tag_names.append(name)
        else:
            has_links = True
    me = f" ({_('me')})"
    return TicketEditors(
        status_options=_options(Status.choices, ticket.status),
        priority_options=_options(Priority.choices, ticket.priority),
        assignee_options=_options(
            ((pk, name + me if pk == viewer.pk else name) for pk, name, _email in people),
            ticket.assignee_id,
        ),
        team_options=_options(groups, ticket.team_id),
        tag_names=tag_names,
        mention_agents=[
            {"handle": email.split("@")[0], "name": name}
            for pk, name, email in people
            if pk != viewer.pk
        ],
        has_links=has_links,
    )


@cache
def _editors_sql() -> tuple[str, tuple]:
    """The UNION of assignable agents, teams, one ticket's tags and links, compiled once per process
    (building it through the ORM on every view cost more than running it): the ticket id is
    a sentinel in the compiled parameters, replaced by the real one on each call."""
    agents = selectors.assignable_agents().order_by().annotate(row_kind=Value(_AGENT))
    teams = selectors.teams().order_by().annotate(row_kind=Value(_TEAM), email=Value(""))
    tags = (
        Tag.objects.filter(tickets=_SENTINEL)
        .order_by()
        .annotate(row_kind=Value(_TAG), email=Value(""))
    )
    links = (
        TicketLink.objects.filter(Q(ticket=_SENTINEL) | Q(origin=_SENTINEL))
        .order_by()
        .annotate(row_kind=Value(_LINK), name=Value(""), email=Value(""))
    )
    rows = agents.values_list("row_kind", "pk", "name", "email").union(
        teams.values_list("row_kind", "pk", "name", "email"),
        tags.values_list("row_kind", "pk", "name", "email"),
        links.values_list("row_kind", "pk", "name", "email"),
        all=True,
    )
    sql, params = rows.order_by("row_kind", "name", "email").query.sql_with_params()
    if sum(map(_is_sentinel, params)) != 3:
        raise RuntimeError("the ticket editors' query must take the ticket id three times")
    return sql, tuple(params)


def _is_sentinel(value: object) -> bool:
    return type(value) is int and value == _SENTINEL


def _options(pairs: Iterable[tuple[object, str]], selected: object) -> SafeString:
    html = "".join(
        f'<option value="{escape(str(value))}"{" selected" if value == selected else ""}>'
        f"{escape(str(label))}</option>"
        for value, label in pairs
    )
    # html.escape is what django.utils.html.escape does, without its lazy-string wrapper.
    return mark_safe(html)  # noqa: S308 - values and labels are escaped above
