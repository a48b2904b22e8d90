"""Phone calls as tickets: agents log them by hand; Twilio's voice callbacks file them too.

A call is a fact that happened elsewhere, so nothing is sent anywhere: logged on a ticket it
is an internal note with the call's facts; logged as a new ticket it first opens the ticket
for the caller's number (the call itself is the customer's contact, like a received mail), and
the agent's notes follow as an internal note.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.services import normalize_phone
from helpdesk.models import User
from tickets import services as ticket_services
from tickets.inbound import IncomingMessage
from tickets.models import Message, Ticket


class CallDirection(models.TextChoices):
    INBOUND = "inbound", gettext_lazy("Inbound (the customer called)")
    OUTBOUND = "outbound", gettext_lazy("Outbound (we called)")


class CallOutcome(models.TextChoices):
    RESOLVED = "resolved", gettext_lazy("Resolved on the call")
    FOLLOW_UP = "follow_up", gettext_lazy("Follow-up needed")
    VOICEMAIL = "voicemail", gettext_lazy("Left a voicemail")
    COMPLETED = "completed", gettext_lazy("Answered")
    NO_ANSWER = "no-answer", gettext_lazy("No answer")
    BUSY = "busy", gettext_lazy("Busy")
    FAILED = "failed", gettext_lazy("Call failed")
    CANCELED = "canceled", gettext_lazy("Hung up before answer")


@dataclass(frozen=True)
class CallFacts:
    direction: str
    number: str
    duration_seconds: int
    outcome: str
    notes: str = ""


def call_summary(facts: CallFacts, *, with_notes: bool = True) -> str:
    if facts.direction == CallDirection.OUTBOUND:
        head = _("Outbound call to %(number)s") % {"number": facts.number}
    else:
        head = _("Inbound call from %(number)s") % {"number": facts.number}
    minutes, seconds = divmod(max(facts.duration_seconds, 0), 60)
    outcome = dict(CallOutcome.choices).get(facts.outcome, facts.outcome)
    lines = [
        head,
        _("Duration: %(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": seconds},
        _("Outcome: %(outcome)s") % {"outcome": outcome},
    ]
    if with_notes and facts.notes.strip():
        lines += ["", facts.notes.strip()]
    return "\n".join(lines)


def log_call(*, agent: User, facts: CallFacts, ticket: Ticket | None = None) -> Message:
    """Record a call on `ticket`, or open a new phone ticket for it. Returns the agent's note."""
    number = normalize_phone(facts.number)
    if len(number.lstrip("+")) < 3:
        raise ValidationError(_("Enter the phone number of the call."))
    facts = CallFacts(facts.direction, number, facts.duration_seconds, facts.outcome, facts.notes)
    with transaction.atomic():
        if ticket is None:
            opened = ticket_services.receive_message(
                IncomingMessage(
                    channel="phone",
                    identity_kind="phone",
                    handle=number,
                    subject=call_summary(facts).splitlines()[0],
                    body_text=call_summary(facts, with_notes=False),
                    external_id=f"call:logged:{secrets.token_hex(8)}",
                )
            )
            if opened is None:
                raise ValidationError(_("This caller is blocked: no ticket was opened."))
            ticket = opened.ticket
        return ticket_services.reply(
            ticket=ticket, author=agent, body_text=call_summary(facts), internal=True
        )
