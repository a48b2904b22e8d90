"""CSAT as quick-reply buttons on channels that have them (LINE, Messenger, Instagram).

The channel adapters ask `buttons_for(message)` while delivering: a sent survey's message gets
one button per rating, anything else none. A tap comes back as an opaque payload (a LINE
postback's `data`, a Messenger quick reply's `payload`) that the adapter hands to
`record_quick_reply`. The payload carries a signed token of the survey, so a payload made up
or copied to another account is refused; the same rules as the mailed link apply after that
(one response, change window, link expiry).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from customers.models import Identity
from tickets import services as ticket_services
from tickets.models import Message

from .models import Survey, SurveyResponse, SurveyStatus
from .services.surveys import (
    RatingError,
    record_rating_for_ticket,
    survey_choices,
    survey_url,
)
from .tokens import BadToken, ExpiredToken, make_token, read_token

log = logging.getLogger(__name__)

PAYLOAD_PREFIX = "csat:"
QUICK_REPLY_SALT = "feedback.quick-reply"
# LINE and Messenger both cut quick-reply labels at 20 characters; we cut first, visibly.
MAX_LABEL = 20
MAX_PAYLOAD = 300  # LINE's limit for postback data; Messenger allows more
# The signature outlives any survey's link setting; the survey's own expires_at decides.
TOKEN_MAX_AGE = timedelta(days=400)


@dataclass(frozen=True)
class QuickReply:
    label: str  # the button text, in the customer's language, at most MAX_LABEL characters
    payload: str  # what the platform sends back when the button is tapped


def short_label(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def buttons_for(message: Message) -> list[QuickReply]:
    """The rating buttons to show under `message` when it is a sent survey; [] otherwise."""
    survey = Survey.objects.filter(message_id=message.pk, status=SurveyStatus.SENT).first()
    if survey is None:
        return []
    token = make_token(pk=survey.pk, nonce=survey.nonce, salt=QUICK_REPLY_SALT)
    return [
        QuickReply(short_label(choice.label), f"{PAYLOAD_PREFIX}{choice.value}:{token}")
        for choice in survey_choices(survey=survey)
    ]


def is_ours(payload: str) -> bool:
    return isinstance(payload, str) and payload.startswith(PAYLOAD_PREFIX)


def record_quick_reply(*, channel: str, handle: str, payload: str) -> bool:
    """Record a tapped rating button; False when the payload is not a survey button at all.

    Only the customer the survey was sent to (their identity on this channel) can answer it.
    A refused answer (expired, out of range, too late to change, not theirs) is logged and the
    customer is told why on the channel; a repeated tap of the same button changes nothing.
    """
    if not is_ours(payload):
        return False
    survey, rating = _survey_and_rating(payload)
    if survey is None:
        log.info("CSAT quick reply with a bad payload on %s from %s refused", channel, handle)
        return True
    if not Identity.objects.filter(
        customer_id=survey.customer_id, kind=channel, handle=handle
    ).exists():
        log.warning("CSAT quick reply for survey %s from a stranger on %s", survey.pk, channel)
        return True
    before = SurveyResponse.objects.filter(survey=survey).values_list("rating", flat=True).first()
    with translation.override(survey.language):
        try:
            response = record_rating_for_ticket(ticket=survey.ticket, rating=rating)
        except RatingError as exc:
            _tell(survey, str(exc))
            return True
        if before != response.rating:
            _tell(
                survey,
                _("Thank you for your rating. You can add a comment here: %(url)s")
                % {"url": survey_url(survey)},
            )
    return True


def _survey_and_rating(payload: str) -> tuple[Survey | None, int]:
    if len(payload) > MAX_PAYLOAD:
        return None, 0
    value, _sep, token = payload[len(PAYLOAD_PREFIX) :].partition(":")
    if not value.isdecimal() or len(value) > 2:
        return None, 0
    try:
        claims = read_token(token, salt=QUICK_REPLY_SALT, max_age=TOKEN_MAX_AGE)
    except (BadToken, ExpiredToken):
        return None, 0
    survey = (
        Survey.objects.select_related("ticket")
        .filter(pk=claims.pk, nonce=claims.nonce, status=SurveyStatus.SENT)
        .first()
    )
    return survey, int(value)


def _tell(survey: Survey, text: str) -> None:
    """A short answer on the same channel; a channel that cannot send any more stays quiet."""
    try:
        ticket_services.post_system_message(ticket=survey.ticket, body_text=text)
    except ValidationError as exc:
        log.info("CSAT quick-reply answer on ticket %s not sent: %s", survey.ticket_id, exc)
