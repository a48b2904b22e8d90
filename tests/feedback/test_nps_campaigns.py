"""NPS campaigns: who is in the segment, who is never asked, the random sample, the lifecycle."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from feedback.models import (
    CampaignStatus,
    NpsRecipient,
    RecipientSkip,
    RecipientStatus,
    SampleMode,
    SurveyOptOut,
    VipFilter,
)
from feedback.services import nps_campaigns
from tests.factories import CustomerFactory

from .nps_helpers import campaign, customer_with_ticket, organization, running, sweep

pytestmark = pytest.mark.django_db


def eligible_ids(item) -> set[int]:
    return set(nps_campaigns.eligible_customers(item).values_list("pk", flat=True))


def test_segment_combines_tags_organization_vip_language_channel_and_recent_ticket():
    acme = organization("Acme 株式会社")
    wanted = customer_with_ticket(
        tags=["gold", "tokyo"], organization=acme, vip=True, language="ja"
    )
    other_tag = customer_with_ticket(tags=["silver"], organization=acme, vip=True, language="ja")
    other_org = customer_with_ticket(tags=["gold"], vip=True, language="ja")
    not_vip = customer_with_ticket(tags=["gold"], organization=acme, language="ja")
    english = customer_with_ticket(tags=["gold"], organization=acme, vip=True, language="en-US")
    on_line = customer_with_ticket(
        channel="line", tags=["gold"], organization=acme, vip=True, language="ja"
    )
    long_ago = customer_with_ticket(
        tags=["gold"], organization=acme, vip=True, language="ja", days_ago=200
    )
    item = campaign(
        tags=["gold", "platinum"],
        organizations=[acme],
        vip=VipFilter.VIP,
        languages=["ja"],
        channels=["email"],
        active_within_days=30,
    )

    assert eligible_ids(item) == {wanted.pk}
    excluded = {other_tag, other_org, not_vip, english, on_line, long_ago}
    assert not {c.pk for c in excluded} & eligible_ids(item)


def test_empty_segment_means_every_reachable_customer_and_unknown_language_is_japanese():
    ja_unknown = customer_with_ticket(language="")
    en = customer_with_ticket(language="en")
    no_conversation = CustomerFactory()  # nothing to reply to: cannot be reached
    phone_only = customer_with_ticket(channel="phone")

    assert eligible_ids(campaign()) == {ja_unknown.pk, en.pk}
    assert eligible_ids(campaign(languages=["ja"])) == {ja_unknown.pk}
    assert no_conversation.pk not in eligible_ids(campaign())
    assert phone_only.pk not in eligible_ids(campaign())


def test_last_contact_channel_is_the_latest_ticket():
    from tests.factories import IdentityFactory, TicketFactory

    moved = customer_with_ticket(channel="email", days_ago=10)
    line = IdentityFactory(customer=moved, kind="line", handle="U-moved")
    TicketFactory(customer=moved, identity=line, channel="line")

    assert moved.pk in eligible_ids(campaign(channels=["line"]))
    assert moved.pk not in eligible_ids(campaign(channels=["email"]))


def test_blocked_erased_unsubscribed_and_recently_surveyed_are_never_drawn():
    fine = customer_with_ticket()
    blocked = customer_with_ticket(blocked_at=timezone.now())
    erased = customer_with_ticket(erased_at=timezone.now())
    unsubscribed = customer_with_ticket()
    SurveyOptOut.objects.create(customer=unsubscribed)
    asked = customer_with_ticket()
    earlier = running(name="Spring")
    NpsRecipient.objects.create(
        campaign=earlier,
        customer=asked,
        language="ja",
        nonce="n",
        status=RecipientStatus.SENT,
        sent_at=timezone.now() - timedelta(days=10),
    )

    assert eligible_ids(campaign(exclude_recent_days=30)) == {fine.pk}
    assert not {blocked.pk, erased.pk, unsubscribed.pk, asked.pk} & eligible_ids(campaign())
    # The window is the manager's choice: 0 asks them again.
    assert asked.pk in eligible_ids(campaign(exclude_recent_days=0))
    assert asked.pk in eligible_ids(campaign(exclude_recent_days=5))


def test_random_sample_by_percentage_and_by_count():
    customers = [customer_with_ticket() for _ in range(10)]
    ids = {c.pk for c in customers}

    by_percent = campaign(sample_mode=SampleMode.PERCENT, sample_percent=30)
    assert nps_campaigns.draw_recipients(by_percent, rng=random.Random(1)) == 3
    drawn = set(by_percent.recipients.values_list("customer_id", flat=True))
    assert len(drawn) == 3 and drawn <= ids

    by_count = campaign(name="four", sample_mode=SampleMode.COUNT, sample_count=4)
    nps_campaigns.draw_recipients(by_count, rng=random.Random(2))
    assert by_count.recipients.count() == 4

    # Different draws pick different customers: it is a random sample, not the first N.
    samples = set()
    for seed in range(6):
        item = campaign(name=f"s{seed}", sample_mode=SampleMode.COUNT, sample_count=3)
        nps_campaigns.draw_recipients(item, rng=random.Random(seed))
        samples.add(frozenset(item.recipients.values_list("customer_id", flat=True)))
    assert len(samples) > 1


def test_sample_sizes():
    item = campaign(sample_mode=SampleMode.PERCENT, sample_percent=10)
    assert nps_campaigns.sample_size(item, 0) == 0
    assert nps_campaigns.sample_size(item, 3) == 1  # never rounds a real segment to nobody
    assert nps_campaigns.sample_size(item, 1000) == 100
    item.sample_mode, item.sample_count = SampleMode.COUNT, 50
    assert nps_campaigns.sample_size(item, 20) == 20
    item.sample_mode = SampleMode.ALL
    assert nps_campaigns.sample_size(item, 20) == 20


def test_drawing_twice_adds_nobody_twice_and_keeps_the_segment_snapshot():
    acme = organization("Acme")
    customer = customer_with_ticket(tags=["gold"], organization=acme, vip=True, language="en")
    item = campaign()
    nps_campaigns.draw_recipients(item)
    nps_campaigns.draw_recipients(item)

    [recipient] = item.recipients.all()
    assert (recipient.customer_id, recipient.tags, recipient.organization_id) == (
        customer.pk,
        ["gold"],
        acme.pk,
    )
    assert (recipient.vip, recipient.language, recipient.channel) == (True, "en", "email")
    # Later changes to the customer do not move the campaign's segments.
    customer.tags = ["silver"]
    customer.save()
    recipient.refresh_from_db()
    assert recipient.tags == ["gold"]


def test_lifecycle_draft_running_paused_finished(manager):
    item = campaign()
    future = timezone.now() + timedelta(days=2)
    item.starts_at = future
    item.save()

    nps_campaigns.start_campaign(campaign=item, actor=manager)
    item.refresh_from_db()
    assert item.status == CampaignStatus.RUNNING and item.starts_at == future
    assert sweep(item) == 0 and item.recipients.count() == 0  # not drawn before its time

    nps_campaigns.pause_campaign(campaign=item, actor=manager)
    item.refresh_from_db()
    assert item.status == CampaignStatus.PAUSED
    with pytest.raises(ValidationError):
        nps_campaigns.pause_campaign(campaign=item, actor=manager)
    nps_campaigns.start_campaign(campaign=item, actor=manager)  # resume
    item.refresh_from_db()
    assert item.status == CampaignStatus.RUNNING

    nps_campaigns.finish_campaign(campaign=item, actor=manager)
    item.refresh_from_db()
    assert item.status == CampaignStatus.FINISHED and item.finished_at
    with pytest.raises(ValidationError):
        nps_campaigns.start_campaign(campaign=item, actor=manager)


def test_start_in_the_past_or_without_a_time_means_now(manager):
    item = campaign()
    before = timezone.now()
    nps_campaigns.start_campaign(campaign=item, actor=manager)
    item.refresh_from_db()
    assert item.starts_at >= before and item.started_at >= before


def test_finishing_skips_everyone_not_sent_yet(manager):
    for _ in range(3):
        customer_with_ticket()
    item = running(throttle_per_hour=60)  # one a minute
    assert sweep(item) == 1
    nps_campaigns.finish_campaign(campaign=item, actor=manager)

    statuses = sorted(item.recipients.values_list("status", "skip_reason"))
    assert statuses == [
        ("sent", ""),
        ("skipped", RecipientSkip.STOPPED),
        ("skipped", RecipientSkip.STOPPED),
    ]
    assert sweep(item, minutes=5) == 0


def test_only_drafts_are_edited_or_deleted_and_only_by_managers(manager, agent):
    item = campaign()
    with pytest.raises(PermissionDenied):
        nps_campaigns.start_campaign(campaign=item, actor=agent)
    with pytest.raises(PermissionDenied):
        nps_campaigns.delete_campaign(campaign=item, actor=agent)
    nps_campaigns.start_campaign(campaign=item, actor=manager)
    item.refresh_from_db()
    item.name = "renamed"
    with pytest.raises(ValidationError):
        nps_campaigns.save_campaign(campaign=item, actor=manager)
    with pytest.raises(ValidationError):
        nps_campaigns.delete_campaign(campaign=item, actor=manager)

    draft = campaign(name="draft")
    nps_campaigns.delete_campaign(campaign=draft, actor=manager)
    assert not type(draft).objects.filter(pk=draft.pk).exists()
