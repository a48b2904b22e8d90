"""Sending NPS surveys: throttled batches from the beat sweep, each recipient at most once.

One sweep works a campaign inside one transaction that holds the campaign row (a concurrent
sweep skips it). Each survey is a system message on the customer's latest conversation on the
chosen channel, so it is an `OutboundDelivery` row like any reply and leaves only after commit:
a crash mid-batch rolls back the messages and the recipients' "sent" together, and the next
sweep sends them once. The throttle counts what was sent in the last hour and spreads the
hourly allowance over the minutes, as Delighted-style tools do.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from tickets import outbound
from tickets import services as ticket_services
from tickets.models import Ticket

from ..models import (
    CampaignStatus,
    NpsCampaign,
    NpsRecipient,
    RecipientSkip,
    RecipientStatus,
    SurveyOptOut,
)
from ..tokens import NPS_OPT_OUT_SALT, NPS_SALT, make_token
from .common import absolute_url
from .nps_campaigns import MAIL_CHANNELS, SOCIAL_CHANNELS, draw_recipients

log = logging.getLogger(__name__)

BATCH_MAX = 100  # per campaign per sweep (the sweep runs every minute)
SWEEPS_PER_HOUR = 60


def running_campaigns(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    due = NpsCampaign.objects.filter(status=CampaignStatus.RUNNING, starts_at__lte=now)
    return list(due.order_by("starts_at", "pk").values_list("pk", flat=True))


def allowance(campaign: NpsCampaign, *, now: datetime) -> int:
    """How many may be sent in this sweep: the hour's remaining budget, spread over the hour."""
    sent_last_hour = campaign.recipients.filter(
        status=RecipientStatus.SENT, sent_at__gt=now - timedelta(hours=1)
    ).count()
    left = max(0, campaign.throttle_per_hour - sent_last_hour)
    per_sweep = math.ceil(campaign.throttle_per_hour / SWEEPS_PER_HOUR)
    return min(left, per_sweep, BATCH_MAX)


def process_campaign(*, campaign_id: int, now: datetime | None = None) -> int:
    """Draw the audience if not yet drawn, send this sweep's share, finish when all are done.

    Returns how many surveys were sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        campaign = (
            NpsCampaign.objects.select_for_update(skip_locked=True)
            .filter(pk=campaign_id, status=CampaignStatus.RUNNING, starts_at__lte=now)
            .first()
        )
        if campaign is None:
            return 0
        if campaign.drawn_at is None:
            draw_recipients(campaign, now=now)
            campaign.drawn_at = now
            campaign.save(update_fields=["drawn_at", "updated_at"])
        budget = allowance(campaign, now=now)
        sent = 0
        while sent < budget:
            batch = list(
                campaign.recipients.filter(status=RecipientStatus.QUEUED)
                .select_related("customer")
                .order_by("pk")[: budget - sent]
            )
            if not batch:
                break
            for recipient in batch:
                if send_recipient(recipient=recipient, campaign=campaign, now=now):
                    sent += 1
        if not campaign.recipients.filter(status=RecipientStatus.QUEUED).exists():
            campaign.status = CampaignStatus.FINISHED
            campaign.finished_at = now
            campaign.save(update_fields=["status", "finished_at", "updated_at"])
    return sent


def _skip_reason(recipient: NpsRecipient, campaign: NpsCampaign, now: datetime) -> str:
    """The exclusions again at send time: a customer may be blocked since the draw."""
    customer = recipient.customer
    if customer.is_erased:
        return RecipientSkip.ERASED
    if customer.is_blocked:
        return RecipientSkip.BLOCKED
    if SurveyOptOut.objects.filter(customer_id=customer.pk).exists():
        return RecipientSkip.OPTED_OUT
    if campaign.exclude_recent_days:
        recent = NpsRecipient.objects.filter(
            customer_id=customer.pk,
            status=RecipientStatus.SENT,
            sent_at__gte=now - timedelta(days=campaign.exclude_recent_days),
        ).exclude(campaign_id=campaign.pk)
        if recent.exists():
            return RecipientSkip.RECENT
    return ""


def contact_ticket(customer_id: int) -> Ticket | None:
    """The conversation the survey goes out on: the latest mail one if the customer has one
    (mail can carry the eleven one-click links), else the latest on a messaging app."""
    tickets = Ticket.objects.filter(customer_id=customer_id, merged_into__isnull=True)
    for channels in (MAIL_CHANNELS, SOCIAL_CHANNELS):
        usable = [channel for channel in channels if outbound.can_send(channel)]
        ticket = (
            tickets.filter(channel__in=usable)
            .select_related("customer")
            .order_by("-created_at", "-id")
            .first()
        )
        if ticket is not None:
            return ticket
    return None


def send_recipient(*, recipient: NpsRecipient, campaign: NpsCampaign, now: datetime) -> bool:
    """Send one queued recipient's survey (or record why not). True when a message was sent."""
    with transaction.atomic():
        reason = _skip_reason(recipient, campaign, now)
        ticket = None if reason else contact_ticket(recipient.customer_id)
        if not reason and ticket is None:
            reason = RecipientSkip.NO_CHANNEL
        if not reason:
            recipient.sent_at = now
            recipient.expires_at = now + timedelta(days=campaign.link_valid_days)
            recipient.ticket = ticket
            recipient.channel = ticket.channel
            text, html = nps_message(recipient=recipient, campaign=campaign)
            try:
                recipient.message = ticket_services.post_system_message(
                    ticket=ticket, body_text=text, body_html=html
                )
            except ValidationError:
                reason = RecipientSkip.NO_CHANNEL
                recipient.sent_at = recipient.expires_at = recipient.ticket = None
        recipient.status = RecipientStatus.SKIPPED if reason else RecipientStatus.SENT
        recipient.skip_reason = reason
        recipient.save()
    return not reason


# --- links and the message ----------------------------------------------------------------


def nps_url(recipient: NpsRecipient, score: int | None = None) -> str:
    token = make_token(pk=recipient.pk, nonce=recipient.nonce, salt=NPS_SALT)
    url = absolute_url("feedback:nps_answer", token=token)
    return url if score is None else f"{url}?score={score}"


def nps_opt_out_url(recipient: NpsRecipient) -> str:
    token = make_token(pk=recipient.pk, nonce=recipient.nonce, salt=NPS_OPT_OUT_SALT)
    return absolute_url("feedback:nps_opt_out", token=token)


def nps_message(*, recipient: NpsRecipient, campaign: NpsCampaign) -> tuple[str, str]:
    """Mail: the question and eleven one-click links; messaging apps: one link to the page."""
    question = campaign.question(recipient.language)
    with translation.override(recipient.language):
        scale = _("0 = not at all likely, 10 = extremely likely")
        hint = _("One click records your answer. You can add a comment on the next page.")
        stop = _("No more surveys like this:")
        tap = _("Please answer with one tap (takes 10 seconds):")
    stop_url = nps_opt_out_url(recipient)
    if recipient.channel in SOCIAL_CHANNELS:
        text = f"{question}\n{tap}\n{nps_url(recipient)}\n\n{stop} {stop_url}"
        return text, ""
    links = [(score, nps_url(recipient, score)) for score in range(11)]
    lines = [question, scale, ""]
    lines += [f"{score}: {url}" for score, url in links]
    lines += ["", hint, "", f"{stop}\n{stop_url}"]
    # Styles would be stripped by the sanitizer every system message passes through: a plain
    # row of links, which every mail client shows.
    cells = " ".join(f'<a href="{escape(url)}">&nbsp;{score}&nbsp;</a>' for score, url in links)
    html = (
        f"<p><strong>{escape(question)}</strong></p><p>{cells}</p>"
        f"<p><small>{escape(scale)}</small></p><p>{escape(hint)}</p>"
        f'<p><small>{escape(stop)} <a href="{escape(stop_url)}">{escape(stop_url)}</a></small></p>'
    )
    return "\n".join(lines), html
