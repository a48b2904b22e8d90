"""CSAT numbers from the feedback app when it is installed (sla never needs it to work)."""

from __future__ import annotations

from django.apps import apps

from .common import Period, rate


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


def csat_by_group(period: Period, field: str) -> dict | None:
    """CSAT per channel or team (`field`: "channel" or "team_id") as attributed at rating time,
    read from the feedback app's responses (the exact path; large periods read the rollups)."""
    if not apps.is_installed("feedback"):
        return None
    from django.db.models import Count, Q

    responses = apps.get_model("feedback", "SurveyResponse").objects.filter(
        created_at__gte=period.since, created_at__lt=period.until
    )
    if period.channel:
        responses = responses.filter(channel=period.channel)
    if period.team_id:
        responses = responses.filter(team_id=period.team_id)
    if period.agent_id:
        responses = responses.filter(agent_id=period.agent_id)
    if period.tag:
        responses = responses.filter(ticket__tags__name=period.tag)
    grouped = (
        responses.values(field)
        .annotate(n=Count("id"), good=Count("id", filter=Q(is_good=True)))
        .order_by()
    )
    return {
        row[field]: {
            "responses": row["n"],
            "good": row["good"],
            "score": rate(row["good"], row["n"]),
        }
        for row in grouped
    }
