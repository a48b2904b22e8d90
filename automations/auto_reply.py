"""Auto-replies: sent after the ticket write commits, never to machines or blocked customers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

from tickets import outbound
from tickets.models import Ticket
from tickets.services import post_system_message

from .engine import _log, render_text
from .models import Automation, RunKind, RunOutcome

# Reasons are stored in English and translated where the log is shown.
BLOCKED = gettext_noop("The customer is blocked.")
AUTOMATED = gettext_noop(
    "The customer's message was sent by a machine (list, bulk or system mail)."
)
SENT = gettext_noop("Sent to the customer.")
NO_SENDER = gettext_noop("Replies cannot be sent on this channel.")


def _is_automated(message_id: int) -> bool:
    # channels_in marks list, bulk and system mail; imported here, late, because automations
    # must not load channels_in at import time (it is optional for this app).
    try:
        from channels_in.mail.screening import message_is_automated
    except ImportError:  # pragma: no cover - channels_in is always installed in this project
        return False
    return message_is_automated(message_id)


def send_auto_reply(*, automation_id: int, ticket_id: int, message_id: int | None) -> str:
    """Post the automation's reply as a system message; returns the outcome that was logged."""
    automation = Automation.objects.filter(pk=automation_id).first()
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if automation is None or ticket is None or not automation.reply_text:
        return RunOutcome.SKIPPED
    reason = ""
    if ticket.customer.is_blocked:
        reason = BLOCKED
    elif message_id and _is_automated(message_id):
        reason = AUTOMATED
    elif not outbound.can_send(ticket.channel):
        reason = NO_SENDER
    if reason:
        _log(
            ticket,
            RunKind.AUTO_REPLY,
            automation.name,
            "",
            automation=automation,
            outcome=RunOutcome.SKIPPED,
            detail=reason,
        )
        return RunOutcome.SKIPPED
    try:
        post_system_message(ticket=ticket, body_text=render_text(automation.reply_text, ticket))
    except ValidationError as exc:
        _log(
            ticket,
            RunKind.AUTO_REPLY,
            automation.name,
            "",
            automation=automation,
            outcome=RunOutcome.FAILED,
            detail="; ".join(exc.messages),
        )
        return RunOutcome.FAILED
    _log(
        ticket,
        RunKind.AUTO_REPLY,
        automation.name,
        "",
        automation=automation,
        detail=SENT,
    )
    return RunOutcome.APPLIED
