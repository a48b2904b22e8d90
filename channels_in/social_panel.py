"""The ticket-page sidebar panel: how this channel lets agents answer now, and "Log a call"."""

from __future__ import annotations

from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import OutboundDelivery, SocialAccount, SocialKind
from .registry import PermanentDeliveryError
from .settings_forms import CallLogForm
from .social_common import account_for_ticket, last_customer_message

WINDOWED = {"messenger": 24, "instagram": 24, "whatsapp": 24}


def reply_constraint(ticket) -> tuple[str, str]:
    """(level, sentence) describing what a reply on this ticket's channel can do now.

    level is "ok", "warn" or "blocked"; the same rules the senders enforce.
    """
    channel = ticket.channel
    # Only the windowed channels and X depend on the customer's last message.
    last = last_customer_message(ticket) if channel in WINDOWED or channel == "x" else None
    if channel in WINDOWED and last is not None:
        closes = last.created_at + timedelta(hours=24)
        now = timezone.now()
        if now < closes:
            hours = max(int((closes - now) / timedelta(hours=1)), 0)
            return "ok", _("24-hour window open: about %(hours)s h left.") % {"hours": hours}
        account = _account(ticket)
        if channel == "whatsapp":
            if account is not None and account.template_name:
                return "warn", _(
                    "24-hour window closed: the reply is sent in the template “%(name)s”."
                ) % {"name": account.template_name}
            return "blocked", _("24-hour window closed: send a template (none is configured).")
        if now < last.created_at + timedelta(days=7) and (
            account is None or account.use_human_agent_tag
        ):
            return "warn", _(
                "24-hour window closed: the reply is sent with the HUMAN_AGENT tag (up to 7 days)."
            )
        return "blocked", _("The messaging window is closed: reach the customer another way.")
    if channel == "x":
        if last is not None and last.external_id.startswith("x:tweet:"):
            return "warn", _(
                "The customer posted publicly: the reply is a public post (280 characters)."
            )
        return "ok", _("Direct message: the reply stays private.")
    if channel == "line":
        return "ok", _("Replies within a minute use the free reply token; later ones are pushed.")
    if channel == "phone":
        return "ok", _("Phone tickets take internal notes and call logs.")
    return "", ""


def _account(ticket) -> SocialAccount | None:
    try:
        return account_for_ticket(ticket, ticket.channel)
    except PermanentDeliveryError:
        return None


def render_panel(request, ticket) -> str:
    social = ticket.channel in SocialKind.values
    account = _account(ticket) if social and ticket.channel != "phone" else None
    level, constraint = reply_constraint(ticket)
    last_delivery = (
        OutboundDelivery.objects.filter(message__ticket=ticket, kind=ticket.channel)
        .order_by("-created_at", "-id")
        .first()
        if social
        else None
    )
    initial = {}
    if ticket.identity and ticket.identity.kind in ("phone", "sms"):
        initial["number"] = ticket.identity.handle
    return render_to_string(
        "channels_in/social/panel.html",
        {
            "ticket": ticket,
            "account": account,
            "constraint": constraint,
            "level": level,
            "last_delivery": last_delivery,
            "call_form": CallLogForm(initial=initial, auto_id="call_%s"),
        },
        request=request,
    )
