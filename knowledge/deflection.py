"""Deflection on the contact form: did a suggested article answer the question?

The contact page's script reports three things by beacon, keyed by the form's one-time token
(no name, no address, no text): the visit, suggestions shown, an article opened. The ticket the
form opens arrives later through `tickets.signals.ticket_changed` (channel "web"), which marks
the visit as sent and this session's recent help-center searches as "led to a ticket".
A visit that saw suggestions, opened one and was never sent counts as deflected.
"""

from __future__ import annotations

import logging
import re

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .bot import mark_bot_questions_led_to_ticket
from .models import Article, ArticleTranslation, ContactAttempt, Language
from .reader_services import _within_rate, mark_searches_led_to_ticket
from .selectors import visible_filter

logger = logging.getLogger(__name__)

BEACONS_PER_SESSION_PER_HOUR = 120
BEACON_EVENTS = frozenset({"view", "suggested", "opened"})
# The contact form's token (channels_in.forms.ContactForm: 16–64 URL-safe characters), and how
# the web-form adapter names the message it makes from a submission.
FORM_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
FORM_MESSAGE_PREFIX = "web:form:"


class BeaconRejected(Exception):
    """Malformed or over the rate limit: answered 400/429, nothing written."""


def check_beacon_rate(*, session_key: str) -> bool:
    return _within_rate(f"kb-beacon:{session_key}", BEACONS_PER_SESSION_PER_HOUR)


def record_contact_event(
    *,
    form_token: str,
    event: str,
    language: str,
    session_key: str,
    count: int = 0,
    article_id: int | None = None,
    viewer=None,
) -> ContactAttempt:
    """Create the visit on first sight and apply one event to it. Raises BeaconRejected.

    An opened article must be one `viewer` may read (published, not internal, in a category
    and section whose audience includes them): the beacon cannot confirm hidden ids.
    """
    if event not in BEACON_EVENTS or not FORM_TOKEN.match(form_token or ""):
        raise BeaconRejected("bad event")
    if language not in Language.values:
        raise BeaconRejected("bad language")
    attempt, _created = ContactAttempt.objects.get_or_create(
        form_token=form_token, defaults={"session_key": session_key, "language": language}
    )
    if attempt.submitted_at is not None:
        return attempt  # already sent: later beacons from the thank-you race change nothing
    rows = ContactAttempt.objects.filter(pk=attempt.pk)
    if event == "suggested" and count > 0:
        rows.update(suggestions_shown=F("suggestions_shown") + min(count, 20))
    elif event == "opened":
        readable = ArticleTranslation.objects.filter(visible_filter(viewer), article_id=article_id)
        article = Article.objects.filter(pk=article_id, internal=False).first()
        if article is not None and not readable.exists():
            article = None
        if article is None:
            raise BeaconRejected("unknown article")
        rows.filter(opened_article__isnull=True).update(
            opened_article=article, opened_at=timezone.now()
        )
    attempt.refresh_from_db()
    return attempt


def form_token_of(external_id: str) -> str:
    """The form token inside a web-form message's external id, or ""."""
    if not external_id.startswith(FORM_MESSAGE_PREFIX):
        return ""
    token = external_id[len(FORM_MESSAGE_PREFIX) :]
    return token if FORM_TOKEN.match(token) else ""


def on_ticket_changed(sender, *, ticket, event, message=None, **kwargs) -> None:
    """tickets.signals.ticket_changed receiver: runs inside the ticket's transaction.

    It only schedules work for after the commit (robust: an error there is logged, and never
    undoes or fails the customer's ticket).
    """
    if event != "created" or ticket.channel != "web" or message is None:
        return
    token = form_token_of(message.external_id or "")
    if not token:
        return
    ticket_id = ticket.pk
    transaction.on_commit(lambda: contact_form_sent(token, ticket_id), robust=True)


def contact_form_sent(form_token: str, ticket_id: int) -> None:
    """The form with `form_token` opened ticket `ticket_id`: mark the visit and its searches."""
    attempt = ContactAttempt.objects.filter(form_token=form_token).first()
    if attempt is None:  # no script ran on the page (or it was blocked): nothing to tie to
        mark_bot_questions_led_to_ticket(form_token)
        return
    ContactAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
        ticket_id=ticket_id, submitted_at=timezone.now()
    )
    marked = mark_searches_led_to_ticket(attempt.session_key)
    mark_bot_questions_led_to_ticket(form_token)
    logger.debug(
        "contact form %s sent: %d searches led to ticket %s", attempt.pk, marked, ticket_id
    )
