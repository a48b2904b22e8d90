"""Solve → survey: the delay, who is never asked, one survey per ticket, sent on its channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from channels_in.models import OutboundDelivery
from customers.models import Customer
from feedback.models import Survey, SurveySettings, SurveyStatus
from feedback.services import surveys
from feedback.tasks import send_due_feedback
from tickets.models import AuthorKind, Status
from tickets.services import update_ticket

from .conftest import links_in, open_ticket, send_due, solve

pytestmark = pytest.mark.django_db


def test_solving_schedules_one_survey_after_the_channel_delay(agent, email_settings):
    ticket = open_ticket()
    before = timezone.now()
    solve(ticket, agent)

    survey = Survey.objects.get(ticket=ticket)
    assert survey.status == SurveyStatus.SCHEDULED
    assert (
        before + timedelta(minutes=30) <= survey.send_at <= timezone.now() + timedelta(minutes=30)
    )
    # Not yet due: the sweep now sends nothing.
    send_due_feedback()
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.SCHEDULED
    assert not ticket.messages.filter(author_kind=AuthorKind.SYSTEM).exists()


def test_due_survey_is_a_system_message_sent_by_mail_with_rating_links(
    agent, email_settings, django_capture_on_commit_callbacks
):
    ticket = open_ticket()
    solve(ticket, agent)
    with django_capture_on_commit_callbacks(execute=True):
        [survey] = send_due()

    assert survey.status == SurveyStatus.SENT
    message = survey.message
    assert message.author_kind == AuthorKind.SYSTEM and not message.internal
    assert OutboundDelivery.objects.get(message=message).kind == "email"
    [sent] = mail.outbox
    assert sent.to == [ticket.identity.handle]
    body = sent.body
    assert "今回のサポートはいかがでしたか？" in body  # the customer's language: ja by default
    urls = links_in(body)
    assert len(urls) == 2 and urls[0].endswith("?rating=1") and urls[1].endswith("?rating=0")
    # The stored HTML has one link per choice (for mail code that sends body_html).
    assert message.body_html.count("<a ") == 2
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED  # asking changes nothing on the ticket
    # A second sweep sends nothing more.
    assert send_due() == []
    assert len(mail.outbox) == 1


def test_english_customer_gets_english_wording_and_five_point_scale(agent, db):
    SurveySettings.objects.create(channel="email", delay_minutes=0, scale="five")
    ticket = open_ticket()
    Customer.objects.filter(pk=ticket.customer_id).update(language="en")
    ticket.refresh_from_db()
    solve(ticket, agent)
    [survey] = send_due(1)
    assert "How would you rate the support you received?" in survey.message.body_text
    assert [url[-1] for url in links_in(survey.message.body_text)] == ["5", "4", "3", "2", "1"]


def test_blocked_customer_is_not_surveyed(agent, email_settings):
    ticket = open_ticket()
    Customer.objects.filter(pk=ticket.customer_id).update(blocked_at=timezone.now())
    ticket.refresh_from_db()
    solve(ticket, agent)
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.status, survey.skip_reason) == (SurveyStatus.SKIPPED, "blocked")
    assert send_due() == []


def test_customer_blocked_after_solve_is_not_asked_either(agent, email_settings):
    ticket = open_ticket()
    solve(ticket, agent)
    Customer.objects.filter(pk=ticket.customer_id).update(blocked_at=timezone.now())
    [survey] = send_due()
    assert (survey.status, survey.skip_reason) == (SurveyStatus.SKIPPED, "blocked")
    assert not ticket.messages.filter(author_kind=AuthorKind.SYSTEM).exists()


def test_ticket_tagged_spam_is_not_surveyed(agent, email_settings):
    ticket = open_ticket()
    update_ticket(ticket=ticket, actor=agent, status=Status.SOLVED, tags=["spam"])
    assert Survey.objects.get(ticket=ticket).skip_reason == "spam"


def test_same_customer_is_not_asked_twice_within_the_window(agent, email_settings):
    first = open_ticket()
    solve(first, agent)
    send_due()
    second = open_ticket(ticket__identity=first.identity)
    assert second.customer_id == first.customer_id
    solve(second, agent)
    assert Survey.objects.get(ticket=second).skip_reason == "recent"

    # Once the window has passed, the next solved ticket is surveyed again.
    Survey.objects.filter(ticket=first).update(sent_at=timezone.now() - timedelta(days=8))
    third = open_ticket(ticket__identity=first.identity)
    solve(third, agent)
    assert Survey.objects.get(ticket=third).status == SurveyStatus.SCHEDULED


def test_two_tickets_solved_together_ask_once(agent, email_settings):
    first = open_ticket()
    second = open_ticket(ticket__identity=first.identity)
    solve(first, agent)
    solve(second, agent)
    statuses = sorted(Survey.objects.values_list("status", flat=True))
    assert statuses == [SurveyStatus.SCHEDULED, SurveyStatus.SKIPPED]


def test_reopened_before_sending_cancels_and_solving_again_reschedules(agent, email_settings):
    ticket = open_ticket()
    solve(ticket, agent)
    update_ticket(ticket=ticket, actor=agent, status=Status.OPEN)
    assert Survey.objects.get(ticket=ticket).status == SurveyStatus.CANCELLED
    assert send_due() == []

    solve(ticket, agent)
    assert Survey.objects.get(ticket=ticket).status == SurveyStatus.SCHEDULED
    assert len(send_due()) == 1


def test_one_survey_per_ticket_even_when_solved_again_after_sending(agent, email_settings):
    ticket = open_ticket()
    solve(ticket, agent)
    [survey] = send_due()
    update_ticket(ticket=ticket, actor=agent, status=Status.OPEN)
    solve(ticket, agent)
    assert Survey.objects.filter(ticket=ticket).count() == 1
    assert Survey.objects.get(ticket=ticket).status == SurveyStatus.SENT
    assert send_due() == []


def test_channel_with_surveys_off_is_not_asked(agent, db):
    SurveySettings.objects.create(channel="email", enabled=False)
    ticket = open_ticket()
    solve(ticket, agent)
    assert Survey.objects.get(ticket=ticket).skip_reason == "disabled"


def test_web_form_ticket_is_asked_by_mail_like_its_replies(agent, email_settings, db):
    SurveySettings.objects.create(channel="web", delay_minutes=0)
    ticket = open_ticket(ticket__channel="web")
    solve(ticket, agent)
    [survey] = send_due(1)
    assert survey.status == SurveyStatus.SENT
    assert OutboundDelivery.objects.get(message=survey.message).kind == "email"


def test_channel_without_a_sender_is_recorded_as_not_sent(agent, db):
    ticket = open_ticket(ticket__channel="phone")
    solve(ticket, agent)
    assert Survey.objects.get(ticket=ticket).skip_reason == "no_channel"


def test_direct_close_counts_as_resolution(agent, email_settings):
    ticket = open_ticket()
    update_ticket(ticket=ticket, actor=agent, status=Status.CLOSED)
    assert Survey.objects.get(ticket=ticket).status == SurveyStatus.SCHEDULED


def test_default_settings_apply_when_none_were_saved(agent, db):
    ticket = open_ticket()
    solve(ticket, agent)
    survey = Survey.objects.get(ticket=ticket)
    assert survey.scale == "good_bad"
    assert surveys.settings_for("email").pk is None
