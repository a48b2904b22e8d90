"""NPS campaigns: who is in the segment, the random sample, and the campaign's lifecycle.

draft → running → paused ⇄ running → finished. A draft can be edited and deleted; once started,
its definition is fixed (the results must describe what was actually asked of whom). The
audience is drawn once, when the start time comes, by the beat sweep (`nps_sending`): the
segment is read at that moment, not when the manager pressed "start" days earlier.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from helpdesk.models import User
from tickets import outbound
from tickets.models import Channel, Ticket

from ..models import (
    CampaignStatus,
    NpsCampaign,
    NpsRecipient,
    RecipientSkip,
    RecipientStatus,
    SampleMode,
    SurveyOptOut,
    VipFilter,
)
from ..tokens import new_nonce
from .common import customer_language

# Replies to these go out by mail (a web-form ticket is answered by mail too).
MAIL_CHANNELS = (Channel.EMAIL, Channel.WEB)
# Messaging channels: the survey is one message with one link.
SOCIAL_CHANNELS = (
    Channel.LINE,
    Channel.MESSENGER,
    Channel.INSTAGRAM,
    Channel.WHATSAPP,
    Channel.X,
    Channel.TELEGRAM,
    Channel.SMS,
)
DRAW_CHUNK = 2000


def _require_manager(actor: User) -> None:
    if not actor.can_manage:
        raise PermissionDenied


def reachable_channels() -> list[str]:
    """Channels a survey can leave on: mail first, then messaging apps with a sender.

    Live chat and phone are left out: a chat visitor is rarely still on the page, and calls
    cannot carry a link.
    """
    return [channel for channel in (*MAIL_CHANNELS, *SOCIAL_CHANNELS) if outbound.can_send(channel)]


def _last_contact_channel():
    latest = Ticket.objects.filter(customer_id=OuterRef("pk"), merged_into__isnull=True)
    return Subquery(latest.order_by("-created_at", "-id").values("channel")[:1])


def _last_contact_on(channels: list[str]) -> RawSQL:
    """Ids of customers whose latest conversation is on one of `channels`.

    One pass over the tickets (DISTINCT ON), not one sorted lookup per customer: on a million
    tickets the correlated form took 18 s, this one about a second.
    """
    table = Ticket._meta.db_table
    # Constant SQL (our own table name); the channels are a bound parameter.
    return RawSQL(  # noqa: S611
        f"""SELECT customer_id FROM (
                SELECT DISTINCT ON (customer_id) customer_id, channel FROM {table}
                 WHERE merged_into_id IS NULL
                 ORDER BY customer_id, created_at DESC, id DESC
            ) AS last_contact WHERE channel = ANY(%s)""",  # noqa: S608 - our own table name
        [channels],
    )


def segment_customers(campaign: NpsCampaign, *, now: datetime | None = None) -> QuerySet:
    """Customers matching every condition of the campaign's segment (before exclusions)."""
    now = now or timezone.now()
    customers = Customer.objects.all()
    if campaign.tags:
        customers = customers.filter(tags__overlap=list(campaign.tags))
    if campaign.pk:
        organization_ids = list(campaign.organizations.values_list("pk", flat=True))
        if organization_ids:
            customers = customers.filter(organization_id__in=organization_ids)
    if campaign.vip == VipFilter.VIP:
        customers = customers.filter(vip=True)
    elif campaign.vip == VipFilter.NOT_VIP:
        customers = customers.filter(vip=False)
    if campaign.languages:
        # The same rule as the survey's language: "ja-JP" is Japanese, unknown is the default.
        wanted = Q()
        for code in campaign.languages:
            wanted |= Q(language__istartswith=code)
            if code == settings.LANGUAGE_CODE:
                wanted |= Q(language="")
        customers = customers.filter(wanted)
    if campaign.channels:
        customers = customers.filter(pk__in=_last_contact_on(list(campaign.channels)))
    if campaign.active_within_days:
        since = now - timedelta(days=campaign.active_within_days)
        customers = customers.filter(
            Exists(Ticket.objects.filter(customer_id=OuterRef("pk"), created_at__gte=since))
        )
    return customers.order_by()  # counted and sampled, never listed: no sort by name


def eligible_customers(campaign: NpsCampaign, *, now: datetime | None = None) -> QuerySet:
    """The segment minus everyone we must not or cannot ask."""
    now = now or timezone.now()
    customers = segment_customers(campaign, now=now).filter(
        blocked_at__isnull=True,
        erased_at__isnull=True,
    )
    customers = customers.filter(~Exists(SurveyOptOut.objects.filter(customer_id=OuterRef("pk"))))
    if campaign.exclude_recent_days:
        recent = NpsRecipient.objects.filter(
            customer_id=OuterRef("pk"),
            status=RecipientStatus.SENT,
            sent_at__gte=now - timedelta(days=campaign.exclude_recent_days),
        )
        if campaign.pk:
            recent = recent.exclude(campaign_id=campaign.pk)
        customers = customers.filter(~Exists(recent))
    reachable = Ticket.objects.filter(
        customer_id=OuterRef("pk"), merged_into__isnull=True, channel__in=reachable_channels()
    )
    return customers.filter(Exists(reachable))


def sample_size(campaign: NpsCampaign, eligible: int) -> int:
    if campaign.sample_mode == SampleMode.PERCENT and campaign.sample_percent:
        if not eligible:
            return 0
        return max(1, round(eligible * campaign.sample_percent / 100))
    if campaign.sample_mode == SampleMode.COUNT and campaign.sample_count is not None:
        return min(eligible, campaign.sample_count)
    return eligible


def draw_recipients(
    campaign: NpsCampaign, *, now: datetime | None = None, rng: random.Random | None = None
) -> int:
    """Write the campaign's recipient rows: a random sample of the eligible customers.

    Called once, inside the sweep's transaction that holds the campaign row; the unique
    (campaign, customer) constraint makes a second call add nobody twice.
    """
    now = now or timezone.now()
    ids = list(eligible_customers(campaign, now=now).values_list("pk", flat=True).distinct())
    ids.sort()
    chosen = (rng or random.SystemRandom()).sample(ids, sample_size(campaign, len(ids)))
    chosen.sort()
    created = 0
    for start in range(0, len(chosen), DRAW_CHUNK):
        chunk = chosen[start : start + DRAW_CHUNK]
        rows = (
            Customer.objects.filter(pk__in=chunk)
            .annotate(last_channel=_last_contact_channel())
            .values("pk", "tags", "organization_id", "vip", "language", "last_channel")
        )
        recipients = [
            NpsRecipient(
                campaign=campaign,
                customer_id=row["pk"],
                tags=row["tags"] or [],
                organization_id=row["organization_id"],
                vip=row["vip"],
                language=customer_language(Customer(language=row["language"])),
                channel=row["last_channel"] or "",
                nonce=new_nonce(),
            )
            for row in rows
        ]
        created += len(
            NpsRecipient.objects.bulk_create(recipients, ignore_conflicts=True, batch_size=1000)
        )
    return created


# --- lifecycle --------------------------------------------------------------------------------


def save_campaign(*, campaign: NpsCampaign, actor: User) -> NpsCampaign:
    """Store a draft (the form has checked its shape). Started campaigns are not edited."""
    _require_manager(actor)
    if campaign.pk:
        current = NpsCampaign.objects.filter(pk=campaign.pk).values_list("status", flat=True)
        if current.first() != CampaignStatus.DRAFT:
            raise ValidationError(_("Only a draft can be changed."))
    else:
        campaign.created_by = actor
    campaign.status = CampaignStatus.DRAFT
    campaign.save()
    return campaign


@transaction.atomic
def start_campaign(
    *, campaign: NpsCampaign, actor: User, now: datetime | None = None
) -> NpsCampaign:
    """A draft starts (at its start time, or now); a paused campaign resumes."""
    _require_manager(actor)
    now = now or timezone.now()
    campaign = NpsCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.PAUSED):
        raise ValidationError(_("Only a draft or a paused campaign can be started."))
    if campaign.status == CampaignStatus.DRAFT:
        campaign.started_at = now
        if campaign.starts_at is None or campaign.starts_at < now:
            campaign.starts_at = now
    campaign.status = CampaignStatus.RUNNING
    campaign.save(update_fields=["status", "started_at", "starts_at", "updated_at"])
    return campaign


@transaction.atomic
def pause_campaign(*, campaign: NpsCampaign, actor: User) -> NpsCampaign:
    _require_manager(actor)
    campaign = NpsCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.RUNNING:
        raise ValidationError(_("Only a running campaign can be paused."))
    campaign.status = CampaignStatus.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def finish_campaign(
    *, campaign: NpsCampaign, actor: User | None, now: datetime | None = None
) -> NpsCampaign:
    """Stop sending for good. Surveys already sent can still be answered until they expire."""
    if actor is not None:
        _require_manager(actor)
    now = now or timezone.now()
    campaign = NpsCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        raise ValidationError(_("Only a running or paused campaign can be finished."))
    campaign.recipients.filter(status=RecipientStatus.QUEUED).update(
        status=RecipientStatus.SKIPPED, skip_reason=RecipientSkip.STOPPED
    )
    campaign.status = CampaignStatus.FINISHED
    campaign.finished_at = now
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    return campaign


def delete_campaign(*, campaign: NpsCampaign, actor: User) -> None:
    _require_manager(actor)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("Only a draft can be deleted; finish a started campaign instead."))
    campaign.delete()


MAX_THROTTLE = 100_000
COPIED_FIELDS = (
    "question_ja",
    "question_en",
    "tags",
    "vip",
    "languages",
    "channels",
    "active_within_days",
    "sample_mode",
    "sample_percent",
    "sample_count",
    "throttle_per_hour",
    "exclude_recent_days",
    "link_valid_days",
    "change_window_hours",
)


@transaction.atomic
def change_throttle(*, campaign: NpsCampaign, actor: User, per_hour: int) -> NpsCampaign:
    """The one setting that may change while a campaign sends: how fast (from the next sweep)."""
    _require_manager(actor)
    if not 1 <= per_hour <= MAX_THROTTLE:
        raise ValidationError(
            _("Choose between 1 and %(max)s surveys an hour.") % {"max": MAX_THROTTLE}
        )
    campaign = NpsCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.FINISHED:
        raise ValidationError(_("A finished campaign sends nothing more."))
    campaign.throttle_per_hour = per_hour
    campaign.save(update_fields=["throttle_per_hour", "updated_at"])
    return campaign


@transaction.atomic
def duplicate_campaign(*, campaign: NpsCampaign, actor: User) -> NpsCampaign:
    """A new draft with the same question, segment, sample and pace (next quarter's survey)."""
    _require_manager(actor)
    copy = NpsCampaign(
        name=(_("%(name)s (copy)") % {"name": campaign.name})[:120],
        created_by=actor,
        **{field: getattr(campaign, field) for field in COPIED_FIELDS},
    )
    copy.save()
    copy.organizations.set(campaign.organizations.all())
    return copy
