"""A bad rating runs the configured automations through the ticket services."""

from __future__ import annotations

import pytest

from feedback.models import SurveySettings
from feedback.services.common import AUTOMATION_EMAIL
from feedback.services.surveys import RatingInput, record_rating
from tickets.models import Status

from .conftest import open_ticket, send_due, solve

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_survey(agent, email_settings):
    ticket = open_ticket()
    solve(ticket, agent)
    [survey] = send_due()
    return survey


def notes(ticket):
    return list(ticket.messages.filter(internal=True).select_related("author"))


def test_bad_rating_reopens_tags_and_notifies_the_team(sent_survey):
    record_rating(
        survey=sent_survey,
        answer=RatingInput(rating=0, reason="回答が遅かった", comment="三日も待ちました"),
    )
    ticket = sent_survey.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert "csat-bad" in ticket.tags.values_list("name", flat=True)
    [note] = notes(ticket)
    assert note.author.email == AUTOMATION_EMAIL
    assert "三日も待ちました" in note.body_text and "回答が遅かった" in note.body_text


def test_good_rating_changes_nothing(sent_survey):
    record_rating(survey=sent_survey, answer=RatingInput(rating=1))
    ticket = sent_survey.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert not ticket.tags.exists()
    assert notes(ticket) == []


def test_changing_good_to_bad_triggers_once_and_bad_again_does_not_repeat(sent_survey):
    record_rating(survey=sent_survey, answer=RatingInput(rating=1))
    record_rating(survey=sent_survey, answer=RatingInput(rating=0))
    record_rating(survey=sent_survey, answer=RatingInput(rating=0, comment="still bad"))
    ticket = sent_survey.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert len(notes(ticket)) == 1


def test_automations_follow_the_channel_settings(agent, db):
    SurveySettings.objects.create(
        channel="email", bad_reopen=False, bad_notify=False, bad_tag="", delay_minutes=0
    )
    ticket = open_ticket()
    solve(ticket, agent)
    [survey] = send_due(1)
    record_rating(survey=survey, answer=RatingInput(rating=0))
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert not ticket.tags.exists()
    assert notes(ticket) == []


def test_closed_ticket_is_not_reopened_but_the_team_still_hears(agent, email_settings):
    ticket = open_ticket()
    solve(ticket, agent)
    [survey] = send_due()
    from tickets.services import update_ticket

    update_ticket(ticket=ticket, actor=agent, status=Status.CLOSED)
    record_rating(survey=survey, answer=RatingInput(rating=0))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert len(notes(ticket)) == 1


def test_bad_rating_keeps_existing_tags(sent_survey, agent):
    from tickets.services import update_ticket

    update_ticket(ticket=sent_survey.ticket, actor=agent, tags=["vip-order"])
    record_rating(survey=sent_survey, answer=RatingInput(rating=0))
    names = set(sent_survey.ticket.tags.values_list("name", flat=True))
    assert names == {"vip-order", "csat-bad"}
