"""Shared setup for the feedback tests: solved tickets, a way to send what is due, link parsing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from feedback.models import Survey, SurveySettings
from feedback.services import surveys
from tests.factories import MessageFactory, UserFactory
from tickets.models import Status
from tickets.services import update_ticket

LINK = re.compile(r"http://\S+/survey/\S+")


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate-limit counters live in Redis, which outlives each test's database.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def manager(db):
    return UserFactory(role="manager", name="Mika Manager")


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin", name="Ada Admin")


@pytest.fixture
def email_settings(db):
    return SurveySettings.objects.create(channel="email", delay_minutes=30, resurvey_days=7)


def open_ticket(**kwargs):
    message = MessageFactory(**({"body_text": "help please"} | kwargs))
    return message.ticket


def solve(ticket, actor):
    return update_ticket(ticket=ticket, actor=actor, status=Status.SOLVED)


def send_due(minutes: int = 31) -> list[Survey]:
    """What the beat sweep would send `minutes` from now."""
    later = timezone.now() + timedelta(minutes=minutes)
    return [
        survey
        for survey_id in surveys.due_surveys(now=later)
        if (survey := surveys.send_survey(survey_id=survey_id, now=later))
    ]


def links_in(text: str) -> list[str]:
    return LINK.findall(text)


def token_of(url: str) -> str:
    return url.split("/survey/")[1].split("/")[0]
