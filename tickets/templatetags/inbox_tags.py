"""Template helpers of the agent inbox page (tickets/inbox.html)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape

from django import template
from django.db import connection
from django.db.models import Value
from django.utils.safestring import SafeString, mark_safe

from tickets.inbox import INBOX_COUNT_CAP

register = template.Library()


@dataclass(frozen=True)
class BulkOptions:
    agents: SafeString
    teams: SafeString


@register.simple_tag
def bulk_options(exclude_pk: int | None = None) -> BulkOptions:
    """The `<option>`s of the bulk bar's assignee (every assignable agent but the viewer, who
    has "Me" above) and team selects, from one query for both: written in Python, as a
    template loop over fifty agents took as long as the inbox's own rows. The statement is
    compiled once per process (compiling the union cost more than running it)."""
    agent_pairs, team_pairs = [], []
    with connection.cursor() as cursor:
        cursor.execute(*_bulk_options_sql())
        for kind, pk, name, email in cursor:
            if kind:
                team_pairs.append((pk, name))
            else:
                agent_pairs.append((pk, name or email.split("@")[0]))
    return BulkOptions(
        agents=_options((pk, name) for pk, name in agent_pairs if pk != exclude_pk),
        teams=_options(team_pairs),
    )


@lru_cache(maxsize=1)
def _bulk_options_sql() -> tuple[str, tuple]:
    """Assignable agents (tickets.selectors.assignable_agents) and teams, agents first, each
    by name: (kind 0 agent / 1 team, pk, name, email)."""
    from tickets.selectors import assignable_agents, teams

    people = assignable_agents().order_by().annotate(kind=Value(0))
    groups = teams().order_by().annotate(kind=Value(1), email=Value(""))
    both = people.values_list("kind", "pk", "name", "email").union(
        groups.values_list("kind", "pk", "name", "email"), all=True
    )
    sql, params = both.order_by("kind", "name", "email").query.sql_with_params()
    return sql, tuple(params)


def _options(pairs) -> SafeString:
    options = "".join(f'<option value="{int(pk)}">{escape(name)}</option>' for pk, name in pairs)
    return mark_safe(options)  # noqa: S308 - the names are escaped above


@register.filter
def count_for(counts: dict, key: str) -> str:
    """The count of one view (`{{ counts|count_for:view.key }}`), "1,000+" past the cap the
    inbox counts to (tickets.inbox.INBOX_COUNT_CAP); "" when it was not counted."""
    value = counts.get(key) if counts else None
    if value is None:
        return ""
    if value > INBOX_COUNT_CAP:
        return f"{INBOX_COUNT_CAP:,}+"
    return str(value)


@register.simple_tag
def view_tabs(views, counts: dict, current_view: str, inbox_url: str, icons: str) -> SafeString:
    """The view tabs' `<li>`s (tickets/_inbox_list.html): in Python like the rows, as a template
    loop over the views cost a millisecond on every page and every live refresh."""
    url, icons = escape(inbox_url), escape(icons)
    shared_icon = (
        '<svg class="icon icon--sm" aria-hidden="true" focusable="false">'
        f'<use href="{icons}#i-users"></use></svg>'
    )
    custom_class = ' class="view-tabs__custom"'
    current_attr = ' aria-current="page"'
    tabs = []
    for view in views:
        key = escape(str(view.key))
        custom = custom_class if view.custom else ""
        current = current_attr if view.key == current_view else ""
        shared = shared_icon if view.shared else ""
        tabs.append(
            f"<li{custom}>\n"
            f'        <a href="{url}?view={key}" hx-get="{url}?view={key}" hx-target="#ticket-list"'
            f' hx-push-url="true" data-view-key="{key}"{current}>\n'
            f"          {shared}{escape(str(view.label))}\n"
            f'          <span class="count" data-count-for="{key}">'
            f"{escape(count_for(counts, view.key))}</span>\n"
            "        </a>\n      </li>\n"
        )
    return mark_safe("".join(tabs))  # noqa: S308 - every value above is escaped
