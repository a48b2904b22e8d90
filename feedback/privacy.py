"""The feedback app's share of data subject requests and retention (customers.erasure port).

A customer's CSAT comments are their own words about themselves: an export includes them,
an erasure redacts them (the rating stays as an anonymous number, so last quarter's CSAT does
not change), and retention redacts them with the conversation. Nothing more may be sent to an
erased customer: their scheduled surveys and follow-ups are cancelled, and they are opted out
of "you said, we did" updates and of NPS surveys. NPS comments are handled the same way as
CSAT comments (the score stays in the campaign's results).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from customers.erasure import ErasureSubject, ExportPart
from customers.models import Customer
from tickets.models import Status
from tickets.privacy import redacted_marker

from .models import (
    FeedbackLink,
    FeedbackOptOut,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    NpsRecipient,
    RecipientSkip,
    RecipientStatus,
    Survey,
    SurveyOptOut,
    SurveyResponse,
    SurveyStatus,
)

CLOSED_STATUSES = (Status.SOLVED, Status.CLOSED)


class FeedbackPersonalData:
    name = "feedback"

    def export(self, customer: Customer) -> ExportPart:
        responses = SurveyResponse.objects.filter(customer=customer).order_by("created_at", "id")
        links = (
            FeedbackLink.objects.filter(customer=customer)
            .select_related("item")
            .order_by("created_at", "id")
        )
        return ExportPart(
            data={
                "csat_responses": [
                    {
                        "ticket": response.ticket_id,
                        "scale": response.scale,
                        "rating": response.rating,
                        "reason": response.reason,
                        "comment": response.comment,
                        "created_at": response.created_at,
                        "updated_at": response.updated_at,
                    }
                    for response in responses
                ],
                "feedback_items": [
                    {
                        "ticket": link.ticket_id,
                        "item": link.item.title,
                        "status": link.item.status,
                        "linked_at": link.created_at,
                    }
                    for link in links
                ],
                "feedback_updates_opted_out": FeedbackOptOut.objects.filter(
                    customer=customer
                ).exists(),
                "nps_answers": [
                    {
                        "campaign": answer.campaign_id,
                        "score": answer.score,
                        "comment": answer.comment,
                        "answered_at": answer.answered_at,
                    }
                    for answer in NpsRecipient.objects.filter(
                        customer=customer, score__isnull=False
                    ).order_by("answered_at", "id")
                ],
                "surveys_opted_out": SurveyOptOut.objects.filter(customer=customer).exists(),
            }
        )

    def erase(self, subject: ErasureSubject) -> dict[str, int]:
        customer = subject.customer
        marker = redacted_marker()
        comments = (
            SurveyResponse.objects.filter(customer=customer)
            .exclude(comment="")
            .exclude(comment=marker)
            .update(comment=marker)
        )
        surveys = Survey.objects.filter(customer=customer, status=SurveyStatus.SCHEDULED).update(
            status=SurveyStatus.CANCELLED
        )
        followups = (
            FollowUp.objects.filter(ticket__customer=customer, status=FollowUpStatus.SCHEDULED)
            .exclude(kind=FollowUpKind.REMIND)
            .update(status=FollowUpStatus.CANCELLED, body="")
        )
        # "You said, we did" must not reach them either, whatever items they were linked to.
        FeedbackOptOut.objects.get_or_create(customer=customer)
        # NPS: the score stays an anonymous number in the campaign's results, the words go;
        # a survey not sent yet is not sent, and no later campaign asks them.
        answers = NpsRecipient.objects.filter(customer=customer)
        nps_comments = answers.exclude(comment="").exclude(comment=marker).update(comment=marker)
        answers.filter(status=RecipientStatus.QUEUED).update(
            status=RecipientStatus.SKIPPED, skip_reason=RecipientSkip.ERASED
        )
        SurveyOptOut.objects.get_or_create(customer=customer)
        return {
            "nps_comments": nps_comments,
            "csat_comments": comments,
            "cancelled_surveys": surveys,
            "cancelled_followups": followups,
        }

    def expire(self, before: datetime) -> dict[str, int]:
        marker = redacted_marker()
        old = Q(ticket__solved_at__lt=before) | Q(
            ticket__solved_at__isnull=True, ticket__updated_at__lt=before
        )
        comments = (
            SurveyResponse.objects.filter(ticket__status__in=CLOSED_STATUSES)
            .filter(old)
            .exclude(comment="")
            .exclude(comment=marker)
            .update(comment=marker)
        )
        nps_comments = (
            NpsRecipient.objects.filter(answered_at__lt=before)
            .exclude(comment="")
            .exclude(comment=marker)
            .update(comment=marker)
        )
        return {"csat_comments": comments, "nps_comments": nps_comments}
