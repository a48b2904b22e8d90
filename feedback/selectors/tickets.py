"""What the ticket page and the customer sidebar show of feedback."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from tickets.models import Ticket

from ..models import (
    FeedbackLink,
    FollowUp,
    FollowUpStatus,
    Survey,
    SurveyResponse,
)
from .csat import GOOD, score


def survey_for_ticket(*, ticket: Ticket) -> Survey | None:
    return Survey.objects.filter(ticket=ticket).select_related("response").first()


def ticket_followups(*, ticket: Ticket) -> list[FollowUp]:
    return list(
        FollowUp.objects.filter(ticket=ticket)
        .select_related("created_by")
        .order_by("-due_at", "-id")[:10]
    )


def ticket_feedback_links(*, ticket: Ticket) -> list[FeedbackLink]:
    return list(FeedbackLink.objects.filter(ticket=ticket).select_related("item"))


def customer_csat(*, customer_id: int) -> dict[str, Any]:
    """The customer's own ratings so far (for the ticket sidebar)."""
    totals = SurveyResponse.objects.filter(customer_id=customer_id).aggregate(
        responses=Count("id"), good=GOOD
    )
    return {**totals, "score": score(totals["good"], totals["responses"])}


def scheduled_followups_count(*, ticket: Ticket) -> int:
    return FollowUp.objects.filter(ticket=ticket, status=FollowUpStatus.SCHEDULED).count()
