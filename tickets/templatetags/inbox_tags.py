"""Template helpers of the agent inbox page (tickets/inbox.html)."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from tickets.inbox import INBOX_COUNT_CAP

register = template.Library()


@register.simple_tag
def agent_options(agents, exclude_pk: int | None = None) -> SafeString:
    """`<option>`s of the agents (but the viewer, who has "Me" above): written in Python, as a
    template loop over fifty agents took as long as the inbox's own rows."""
    options = "".join(
        f'<option value="{int(agent.pk)}">{escape(agent.display_name)}</option>'
        for agent in agents
        if agent.pk != exclude_pk
    )
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
