"""The customer's NPS answer: the score from a one-click link, an optional comment, a change
within the campaign's window, and "no more surveys"."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer

from ..models import NpsRecipient, RecipientStatus, SurveyOptOut
from ..tokens import NPS_OPT_OUT_SALT, NPS_SALT, BadToken, ExpiredToken, read_token
from .common import within_rate

MAX_COMMENT_CHARS = 2000
POSTS_PER_RECIPIENT_PER_HOUR = 30
# Past the row's own expiry this is only a ceiling for the signature check.
HARD_MAX_AGE = timedelta(days=3660)


class NpsAnswerError(Exception):
    """The answer cannot be taken; `str()` is a sentence for the customer."""


def recipient_for_token(token: str, *, now: datetime | None = None) -> NpsRecipient:
    """The sent survey a link names; BadToken / ExpiredToken otherwise."""
    now = now or timezone.now()
    claims = read_token(token, salt=NPS_SALT, max_age=HARD_MAX_AGE)
    recipient = (
        NpsRecipient.objects.select_related("campaign", "customer")
        .filter(pk=claims.pk, status=RecipientStatus.SENT)
        .first()
    )
    if recipient is None or recipient.nonce != claims.nonce:
        raise BadToken
    if recipient.expires_at and now > recipient.expires_at:
        raise ExpiredToken
    return recipient


def recipient_for_opt_out(token: str) -> NpsRecipient:
    claims = read_token(token, salt=NPS_OPT_OUT_SALT, max_age=HARD_MAX_AGE)
    recipient = NpsRecipient.objects.select_related("customer").filter(pk=claims.pk).first()
    if recipient is None or recipient.nonce != claims.nonce:
        raise BadToken
    return recipient


def change_deadline(recipient: NpsRecipient) -> datetime | None:
    if recipient.answered_at is None:
        return None
    return recipient.answered_at + timedelta(hours=recipient.campaign.change_window_hours)


def check_answer_rate(*, recipient: NpsRecipient) -> None:
    if not within_rate(f"feedback:nps-posts:{recipient.pk}", POSTS_PER_RECIPIENT_PER_HOUR):
        raise NpsAnswerError(_("Too many answers in a short time. Please try again in an hour."))


def record_score(
    *, recipient: NpsRecipient, score: int, comment: str = "", now: datetime | None = None
) -> NpsRecipient:
    """The first answer, or a change within the window. The same score again changes nothing
    but may add a comment; a comment left empty keeps the one given before."""
    now = now or timezone.now()
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 10:
        raise NpsAnswerError(_("Please choose a score from 0 to 10."))
    comment = comment.replace("\x00", "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise NpsAnswerError(
            _("Please keep your comment under %(count)s characters.") % {"count": MAX_COMMENT_CHARS}
        )
    with transaction.atomic():
        recipient = (
            NpsRecipient.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .get(pk=recipient.pk)
        )
        if recipient.answered_at is None:
            recipient.answered_at = now
        else:
            deadline = change_deadline(recipient)
            if deadline and now > deadline:
                raise NpsAnswerError(_("This answer can no longer be changed."))
            if recipient.score != score:
                recipient.changes += 1
                recipient.changed_at = now
        recipient.score = score
        recipient.comment = comment or recipient.comment
        recipient.save(update_fields=["score", "comment", "answered_at", "changed_at", "changes"])
    return recipient


def opt_out(*, customer: Customer) -> SurveyOptOut:
    """No more NPS surveys for this customer; asking twice is fine."""
    return SurveyOptOut.objects.get_or_create(customer=customer)[0]
