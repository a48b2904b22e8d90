"""CSAT and feedback data in data subject requests: exported, redacted on erasure (the rating
stays as an anonymous number), redacted by retention, and nothing more sent after erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.data_requests import customer_erase, customer_export_data, personal_data_expire
from feedback.models import (
    FeedbackItem,
    FeedbackLink,
    FeedbackOptOut,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Survey,
    SurveyResponse,
    SurveyStatus,
)
from feedback.services.surveys import record_rating_for_ticket
from tests.factories import UserFactory
from tickets.privacy import redacted_marker

from .conftest import open_ticket, send_due, solve

pytestmark = pytest.mark.django_db

COMMENT = "佐藤です。配送が遅くて困りました"


def rated_customer(agent, rating=0):
    ticket = open_ticket()
    customer = ticket.customer
    customer.name = "佐藤 花子"
    customer.save(update_fields=["name"])
    solve(ticket, agent)
    send_due()
    record_rating_for_ticket(ticket=ticket, rating=rating, comment=COMMENT)
    return customer, ticket


def test_export_has_ratings_comments_and_linked_items(agent, email_settings):
    customer, ticket = rated_customer(agent)
    item = FeedbackItem.objects.create(title="Faster shipping")
    FeedbackLink.objects.create(item=item, ticket=ticket, customer=customer)
    data, _files = customer_export_data(customer)
    part = data["feedback"]
    assert part["csat_responses"][0]["comment"] == COMMENT
    assert part["csat_responses"][0]["rating"] == 0
    assert part["feedback_items"][0]["item"] == "Faster shipping"
    assert part["feedback_updates_opted_out"] is False


def test_erasure_redacts_comments_keeps_ratings_and_stops_all_sending(agent, email_settings):
    email_settings.resurvey_days = 0  # so the second ticket's survey is scheduled
    email_settings.save()
    customer, ticket = rated_customer(agent)
    other = open_ticket()
    other.customer = customer
    other.save(update_fields=["customer"])
    solve(other, agent)  # a survey scheduled, not yet sent
    FollowUp.objects.create(
        ticket=ticket,
        kind=FollowUpKind.SEND,
        body="佐藤様、その後いかがですか",
        due_at=timezone.now() + timedelta(days=1),
    )
    reminder = FollowUp.objects.create(
        ticket=ticket, kind=FollowUpKind.REMIND, due_at=timezone.now() + timedelta(days=1)
    )

    counts = customer_erase(
        customer=customer, actor=UserFactory(role="admin"), confirmation="佐藤 花子"
    )

    response = SurveyResponse.objects.get(ticket=ticket)
    assert response.comment == redacted_marker()
    assert (response.rating, response.is_good) == (0, False)  # the statistics stay
    assert counts["csat_comments"] == 1
    assert Survey.objects.get(ticket=other).status == SurveyStatus.CANCELLED
    sent = FollowUp.objects.get(kind=FollowUpKind.SEND)
    assert (sent.status, sent.body) == (FollowUpStatus.CANCELLED, "")
    reminder.refresh_from_db()
    assert reminder.status == FollowUpStatus.SCHEDULED  # the agent's own reminder stays
    assert FeedbackOptOut.objects.filter(customer=customer).exists()
    assert not SurveyResponse.objects.filter(comment__contains="佐藤").exists()


def test_retention_redacts_old_comments_only(agent, email_settings):
    rated_customer(agent, rating=1)  # a good rating: the ticket stays solved
    counts = personal_data_expire(days=30)
    assert counts["csat_comments"] == 0
    assert SurveyResponse.objects.get().comment == COMMENT

    counts = personal_data_expire(days=30, now=timezone.now() + timedelta(days=31))
    assert counts["csat_comments"] == 1
    assert SurveyResponse.objects.get().comment == redacted_marker()
