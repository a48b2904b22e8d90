"""Survey settings per channel and follow-up templates, for the settings pages."""

from __future__ import annotations

from django.db.models import QuerySet

from tickets.models import Channel

from ..models import (
    FollowUpTemplate,
    SurveySettings,
)


def survey_settings_rows() -> list[SurveySettings]:
    """One row per channel, saved or default, in the channel order of the inbox."""
    saved = {row.channel: row for row in SurveySettings.objects.all()}
    return [saved.get(value) or SurveySettings(channel=value) for value, _ in Channel.choices]


def followup_templates() -> QuerySet[FollowUpTemplate]:
    return FollowUpTemplate.objects.select_related("team").order_by("name", "id")
