"""CSAT: schedule a survey when a ticket is solved, send it on the ticket's channel, record the
customer's rating and run the bad-rating automations.

Scheduling happens inside the ticket write's transaction (from the `ticket_changed` receiver);
sending happens later from the beat sweep, which checks the rules again: a customer blocked or
a ticket marked spam in between is not asked.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from tickets import outbound, realtime
from tickets import services as ticket_services
from tickets.models import AuthorKind, Message, Status, Ticket

from ..models import (
    Scale,
    SkipReason,
    Survey,
    SurveyResponse,
    SurveySettings,
    SurveyStatus,
)
from ..tokens import SURVEY_SALT, make_token, new_nonce
from .common import (
    RESOLVED_STATUSES,
    absolute_url,
    automation_actor,
    customer_language,
    is_spam,
    within_rate,
)

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2000
# A help-center article link, absolute or relative, any language, with or without its slug.
ARTICLE_LINK = re.compile(r"/help/[a-z]{2}(?:-[A-Za-z]+)?/a/(\d{1,9})(?=[-/?#\s\"'<)]|$)")
MAX_ARTICLES = 20
POSTS_PER_SURVEY_PER_HOUR = 30


class RatingError(Exception):
    """The customer's answer cannot be taken; `str()` is a sentence for them."""


def settings_for(channel: str) -> SurveySettings:
    """The channel's settings, or the defaults (unsaved) when an admin never changed them."""
    return SurveySettings.objects.filter(channel=channel).first() or SurveySettings(channel=channel)


def rating_values(scale: str) -> list[int]:
    return [1, 0] if scale == Scale.GOOD_BAD else [5, 4, 3, 2, 1]


def rating_is_good(scale: str, rating: int) -> bool:
    return rating == 1 if scale == Scale.GOOD_BAD else rating >= 4


def rating_label(scale: str, rating: int) -> str:
    if scale == Scale.GOOD_BAD:
        return _("Good, I'm satisfied") if rating == 1 else _("Bad, I'm unsatisfied")
    labels = {
        5: _("5 – Very satisfied"),
        4: _("4 – Satisfied"),
        3: _("3 – Neither"),
        2: _("2 – Dissatisfied"),
        1: _("1 – Very dissatisfied"),
    }
    return labels[rating]


def _skip_reason(
    ticket: Ticket, conf: SurveySettings, now: datetime, *, at_send: bool = False
) -> str:
    if not conf.enabled:
        return SkipReason.DISABLED
    if not outbound.can_send(ticket.channel):
        return SkipReason.NO_CHANNEL
    if ticket.customer.is_blocked:
        return SkipReason.BLOCKED
    if is_spam(ticket):
        return SkipReason.SPAM
    others = Survey.objects.filter(customer_id=ticket.customer_id).exclude(ticket=ticket)
    recent = Q(status=SurveyStatus.SENT, sent_at__gte=now - timedelta(days=conf.resurvey_days))
    if not at_send:
        # Two tickets solved the same afternoon: the customer hears from us once.
        recent |= Q(status=SurveyStatus.SCHEDULED)
    if conf.resurvey_days and others.filter(recent).exists():
        return SkipReason.RECENT
    return ""


def schedule_survey(*, ticket: Ticket, now: datetime | None = None) -> Survey | None:
    """Plan the ticket's one survey for `delay` after now; a survey already sent stays as it is.

    Returns the row (scheduled, or skipped with the reason kept for the agent to see).
    """
    now = now or timezone.now()
    survey = Survey.objects.select_for_update().filter(ticket=ticket).first()
    if survey is not None and survey.status == SurveyStatus.SENT:
        return survey
    conf = settings_for(ticket.channel)
    reason = _skip_reason(ticket, conf, now)
    values = {
        "customer_id": ticket.customer_id,
        "channel": ticket.channel,
        "language": customer_language(ticket.customer),
        "scale": conf.scale,
        "send_at": now + timedelta(minutes=conf.delay_minutes),
        "status": SurveyStatus.SKIPPED if reason else SurveyStatus.SCHEDULED,
        "skip_reason": reason,
        "nonce": new_nonce(),
    }
    if survey is None:
        return Survey.objects.create(ticket=ticket, **values)
    for field, value in values.items():
        setattr(survey, field, value)
    survey.save()
    return survey


def cancel_survey(*, ticket: Ticket) -> None:
    """The ticket was reopened before its survey went out: do not ask about it yet."""
    Survey.objects.filter(ticket=ticket, status=SurveyStatus.SCHEDULED).update(
        status=SurveyStatus.CANCELLED
    )


def due_surveys(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    due = Survey.objects.filter(status=SurveyStatus.SCHEDULED, send_at__lte=now)
    return list(due.order_by("send_at").values_list("pk", flat=True)[:limit])


def send_survey(*, survey_id: int, now: datetime | None = None) -> Survey | None:
    """Send one due survey at most once (row lock; skip_locked for a concurrent sweep)."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__customer")
            .filter(pk=survey_id, status=SurveyStatus.SCHEDULED)
            .first()
        )
        if survey is None:
            return None
        ticket = survey.ticket
        if ticket.status not in RESOLVED_STATUSES:
            survey.status = SurveyStatus.CANCELLED
            survey.save(update_fields=["status"])
            return survey
        conf = settings_for(ticket.channel)
        reason = _skip_reason(ticket, conf, now, at_send=True)
        if not reason:
            survey.sent_at = now
            survey.expires_at = now + timedelta(days=conf.link_valid_days)
            survey.scale = conf.scale
            text, html = survey_message(survey=survey, conf=conf)
            try:
                survey.message = ticket_services.post_system_message(
                    ticket=ticket, body_text=text, body_html=html
                )
            except ValidationError:
                reason = SkipReason.NO_CHANNEL
        survey.status = SurveyStatus.SKIPPED if reason else SurveyStatus.SENT
        survey.skip_reason = reason
        survey.save()
    return survey


def survey_url(survey: Survey, rating: int | None = None) -> str:
    url = absolute_url(
        "feedback:survey",
        token=make_token(pk=survey.pk, nonce=survey.nonce, salt=SURVEY_SALT),
    )
    return url if rating is None else f"{url}?rating={rating}"


def survey_message(*, survey: Survey, conf: SurveySettings) -> tuple[str, str]:
    """The survey as text (links on their own lines) and as HTML with one link per choice."""
    ticket = survey.ticket
    with translation.override(survey.language):
        intro = _("Your request #%(id)s “%(subject)s” has been solved.") % {
            "id": ticket.pk,
            "subject": ticket.subject,
        }
        question = conf.question(survey.language)
        choices = [
            (rating_label(survey.scale, v), survey_url(survey, v)) for v in conf.rating_values()
        ]
        hint = _("One click records your answer. You can add a comment on the next page.")
    lines = [intro, "", question, ""]
    for label, url in choices:
        lines += [f"{label}:", url, ""]
    lines.append(hint)
    links = "".join(
        f'<li><a href="{escape(url)}">{escape(label)}</a></li>' for label, url in choices
    )
    html = (
        f"<p>{escape(intro)}</p><p><strong>{escape(question)}</strong></p>"
        f"<ul>{links}</ul><p>{escape(hint)}</p>"
    )
    return "\n".join(lines), html


@dataclass(frozen=True)
class RatingInput:
    rating: int
    reason: str = ""
    comment: str = ""


def check_rating_rate(*, survey: Survey) -> None:
    if not within_rate(f"feedback:survey-posts:{survey.pk}", POSTS_PER_SURVEY_PER_HOUR):
        raise RatingError(_("Too many answers in a short time. Please try again in an hour."))


def change_deadline(response: SurveyResponse) -> datetime:
    conf = settings_for(response.channel)
    return response.created_at + timedelta(hours=conf.change_window_hours)


def record_rating(
    *, survey: Survey, answer: RatingInput, now: datetime | None = None
) -> SurveyResponse:
    """The customer's rating: the first one, or a change within the window.

    Raises RatingError for an out-of-range rating, an unknown reason, or a change too late.
    """
    now = now or timezone.now()
    if answer.rating not in rating_values(survey.scale):
        raise RatingError(_("Please choose one of the ratings shown."))
    conf = settings_for(survey.channel)
    reason = answer.reason.strip()
    if reason and reason not in conf.reasons(survey.language):
        raise RatingError(_("Please choose one of the reasons shown."))
    comment = answer.comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise RatingError(
            _("Please keep your comment under %(count)s characters.") % {"count": MAX_COMMENT_CHARS}
        )
    good = rating_is_good(survey.scale, answer.rating)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().select_related("ticket").get(pk=survey.pk)
        ticket = survey.ticket
        response = SurveyResponse.objects.filter(survey=survey).first()
        was_bad = response is not None and not response.is_good
        if response is None:
            response = SurveyResponse(
                survey=survey,
                ticket=ticket,
                customer_id=survey.customer_id,
                agent_id=ticket.assignee_id,
                team_id=ticket.team_id,
                channel=ticket.channel,
                scale=survey.scale,
                macro_ids=_macros_used(ticket),
                article_ids=articles_linked(ticket),
            )
        elif now > change_deadline(response):
            raise RatingError(_("This rating can no longer be changed."))
        elif response.rating != answer.rating:
            response.changes += 1
        response.rating = answer.rating
        response.is_good = good
        response.reason = reason if not good else ""
        response.comment = comment or response.comment
        response.save()
        if not good and not was_bad:
            _bad_rating_automation(response=response, conf=conf)
        realtime.publish(
            "csat.rated", ticket=ticket.pk, good=good, team=ticket.team_id, agent=ticket.assignee_id
        )
    return response


def articles_linked(ticket: Ticket) -> list[int]:
    """Ids of help-center articles the agents' public replies linked to (at most 20)."""
    replies = ticket.messages.filter(author_kind=AuthorKind.AGENT, internal=False)
    found: dict[int, None] = {}
    for text, html in replies.values_list("body_text", "body_html"):
        for match in ARTICLE_LINK.finditer(f"{text}\n{html}"):
            found.setdefault(int(match.group(1)), None)
    return sorted(found)[:MAX_ARTICLES]


def _macros_used(ticket: Ticket) -> list[int]:
    used = Message.macros.through.objects.filter(message__ticket=ticket)
    return sorted(set(used.values_list("macro_id", flat=True)))


def _bad_rating_automation(*, response: SurveyResponse, conf: SurveySettings) -> None:
    """Reopen, tag and tell the team, as configured; all through the ticket services."""
    ticket = response.ticket
    actor = automation_actor()
    status = Status.OPEN if conf.bad_reopen and ticket.status == Status.SOLVED else None
    tags = None
    if conf.bad_tag:
        current = list(ticket.tags.values_list("name", flat=True))
        if conf.bad_tag.lower() not in current:
            tags = [*current, conf.bad_tag]
    if status or tags is not None:
        ticket_services.update_ticket(ticket=ticket, actor=actor, status=status, tags=tags)
    if conf.bad_notify:
        # For the agents, in the helpdesk's own language rather than the customer's.
        with translation.override(settings.LANGUAGE_CODE):
            note = _("The customer rated this conversation %(rating)s.") % {
                "rating": rating_label(response.scale, response.rating)
            }
            if response.reason:
                note += "\n" + _("Reason: %(reason)s") % {"reason": response.reason}
            if response.comment:
                note += "\n" + _("Comment: %(comment)s") % {"comment": response.comment}
        ticket_services.reply(ticket=ticket, author=actor, body_text=note, internal=True)
        realtime.publish(
            "csat.bad_rating",
            ticket=ticket.pk,
            team=response.team_id,
            agent=response.agent_id,
        )


# --- for channels with buttons (chat widget end-of-chat prompt, LINE/Messenger quick replies) ---


@dataclass(frozen=True)
class SurveyChoice:
    value: int  # what to send back to record_rating_for_ticket (e.g. as a postback payload)
    label: str  # in the customer's language
    url: str  # the same one-click link the text message carries


def survey_choices(*, survey: Survey) -> list[SurveyChoice]:
    """The rating buttons of a sent survey, for channels that can show quick replies."""
    with translation.override(survey.language):
        return [
            SurveyChoice(value, rating_label(survey.scale, value), survey_url(survey, value))
            for value in rating_values(survey.scale)
        ]


def record_rating_for_ticket(
    *, ticket: Ticket, rating: int, comment: str = "", now: datetime | None = None
) -> SurveyResponse:
    """A rating that arrived on the channel itself (a quick-reply postback, a widget button):
    same rules as the link — only a sent, unexpired survey, one response, change window."""
    now = now or timezone.now()
    survey = Survey.objects.filter(ticket=ticket, status=SurveyStatus.SENT).first()
    if survey is None or (survey.expires_at and now > survey.expires_at):
        raise RatingError(_("This link is no longer valid."))
    return record_rating(survey=survey, answer=RatingInput(rating=rating, comment=comment), now=now)
