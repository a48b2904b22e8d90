"""The inbox rows as HTML, written in Python rather than by a template loop.

Fifty rows through `{% for %}` cost ~1,500 variable lookups, autoescapes and localizations per
page, most of the page's time. Here each row is one f-string: every value that comes from
outside (subject, preview, names, tags, labels) goes through `escape()`, the rest are our own
ints, enum values and fixed class names. The markup is the one `tickets/_inbox_list.html` had
(agent-inbox.js and the live updates read its classes and data attributes).
"""

from __future__ import annotations

from html import escape

from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .inbox_rows import Row


def rows_html(rows: list[Row]) -> SafeString:
    icons = escape(static("img/icons.svg"))
    unassigned = escape(_("Unassigned"))
    unread = escape(_("Unread"))
    select = escape(_("Select"))
    overdue = escape(_("SLA overdue"))
    unread_dot = (
        f'<span class="unread-dot" title="{unread}"><span class="visually-hidden">{unread}'
        "</span></span>"
    )
    # Values shared by many rows (enum values, their labels, agents, teams, "5 minutes ago")
    # are escaped once per page: escape() on every value was a third of the rows' time.
    seen: dict[str, str] = {}

    def once(value: str) -> str:
        found = seen.get(value)
        if found is None:
            found = seen[value] = escape(value)
        return found

    parts = []
    for row in rows:
        ticket = row.ticket
        pk = int(ticket.pk)
        channel = once(ticket.channel)
        channel_label = once(row.channel_label)
        status = once(ticket.status)
        priority = once(ticket.priority)
        priority_label = once(row.priority_label)
        tags = "".join(f'<span class="tag">{once(tag)}</span>' for tag in row.tags)
        viewers = "".join(
            f'<span class="presence-chip presence-chip--{escape(str(viewer["state"]))}" '
            f'title="{escape(str(viewer["name"]))}">{escape(str(viewer["name"])[:1])}</span>'
            for viewer in row.viewers
        )
        preview = (
            f'<span class="ticket-row__preview">{escape(row.preview)}</span>' if row.preview else ""
        )
        who = (
            f"<span>{once(row.assignee_name)}</span>"
            if row.assignee_name
            else f'<span class="ticket-row__unassigned">{unassigned}</span>'
        )
        team = f'<span class="team">{once(row.team_name)}</span>' if row.team_name else ""
        sla = ""
        if row.sla_state:
            hidden = (
                f'<span class="visually-hidden">{overdue} </span>'
                if row.sla_state == "overdue"
                else ""
            )
            sla = (
                f'<span class="sla sla--{row.sla_state}" title="{escape(row.sla_title)}">'
                f"{hidden}{once(row.sla_label)}</span>"
            )
        parts.append(
            f'<li class="ticket-row{" is-unread" if row.unread else ""}" data-ticket="{pk}" '
            f'data-stamp="{int(row.stamp)}">'
            f'<label class="ticket-row__check"><input type="checkbox" value="{pk}" '
            f'data-select-ticket><span class="visually-hidden">{select} #{pk}</span></label>'
            f'<a class="ticket-row__link" href="{escape(row.url)}">'
            f'<span class="chan chan--{channel}" title="{channel_label}" role="img" '
            f'aria-label="{channel_label}"><svg class="icon" aria-hidden="true" '
            f'focusable="false"><use href="{icons}#i-{channel}"></use></svg></span>'
            f'<div class="ticket-row__customer"><strong>{unread_dot if row.unread else ""}'
            f"{escape(row.customer_name)}</strong><span>{escape(row.customer_line)}</span></div>"
            f'<div class="ticket-row__main"><div class="ticket-row__subject">'
            f'<b>{escape(ticket.subject)}</b><span class="ticket-row__id">#{pk}</span></div>'
            f'{preview}<span class="ticket-row__meta">{tags}'
            f'<span class="presence-chips" data-presence-for="{pk}">{viewers}</span></span></div>'
            f'<div class="ticket-row__status"><span class="badge badge--{status}">'
            f"{once(row.status_label)}</span>"
            f'<span class="prio prio--{priority} hide-wide">{priority_label}</span></div>'
            f'<div class="ticket-row__prio"><span class="prio prio--{priority}">'
            f"{priority_label}</span></div>"
            f'<div class="ticket-row__who col-who">{who}{team}</div>'
            f'<div class="ticket-row__msgs col-msgs num"><svg class="icon icon--sm" '
            f'aria-hidden="true" focusable="false"><use href="{icons}#i-message"></use></svg>'
            f"{int(ticket.message_count or 0)}</div>"
            f'<div class="ticket-row__time"><time datetime="{escape(row.iso_time)}" '
            f'title="{escape(row.time_title)}">{once(row.time_label)}</time>{sla}</div>'
            "</a></li>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every outside value above is escaped
