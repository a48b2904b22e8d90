"""Template helpers of the agent workspace."""

from __future__ import annotations

from django import template

from tickets import notifications

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """The bell's number for the signed-in agent (one COUNT query per page)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff_member):
        return 0
    return notifications.unread_count(user)
