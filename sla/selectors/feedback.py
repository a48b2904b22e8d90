"""CSAT numbers from the feedback app when it is installed (sla never needs it to work)."""

from __future__ import annotations

from django.apps import apps

from .common import Period


def _feedback_filters(period: Period) -> dict:
    return {
        "since": period.since,
        "until": period.until,
        "channel": period.channel or None,
        "team_id": period.team_id,
        "agent_id": period.agent_id,
        "tag": period.tag or None,
    }


def csat_by_agent(period: Period) -> dict | None:
    """CSAT per agent id from the feedback app when it offers it; else None."""
    if not apps.is_installed("feedback"):
        return None
    try:
        from feedback.selectors import csat_by_agent as feedback_by_agent
    except ImportError:
        return None
    return feedback_by_agent(**_feedback_filters(period))


def csat_summary(period: Period) -> dict | None:
    """CSAT from the feedback app when it is installed and offers its summary; else None."""
    if not apps.is_installed("feedback"):
        return None
    try:
        from feedback.selectors import csat_summary as feedback_csat
    except ImportError:
        return None
    return feedback_csat(**_feedback_filters(period))
