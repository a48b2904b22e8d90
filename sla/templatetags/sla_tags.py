from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration_minutes(value) -> str:
    """Minutes (float) as "45 min", "3 h 20 min" or "2 d 4 h" (business days are not 24 h,
    so days appear only for long spans where minutes stop mattering)."""
    if value is None or value == "":
        return "—"
    minutes = int(round(float(value)))
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        if rest:
            return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
        return _("%(hours)s h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}


@register.filter
def wait_minutes(value) -> float | None:
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 60
    return None


@register.filter
def percent(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):g}%"


@register.filter
def absolute(value):
    """The size of a change without its sign (the sign is shown as an arrow)."""
    return abs(value) if isinstance(value, (int, float)) else value
