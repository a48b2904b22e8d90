"""Sending NPS surveys: the customer's channel, the throttle, and never twice — not even after
a crash in the middle of a batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_in.mail.compose import build_reply
from channels_in.models import OutboundDelivery
from feedback import tasks
from feedback.models import CampaignStatus, NpsRecipient, RecipientSkip, RecipientStatus
from feedback.services import nps_sending
from tests.factories import IdentityFactory, TicketFactory
from tickets.models import AuthorKind, Message

from .nps_helpers import customer_with_ticket, nps_links, running, sweep

pytestmark = pytest.mark.django_db


def test_mail_survey_has_eleven_one_click_links_and_an_unsubscribe_link():
    customer = customer_with_ticket(language="ja")
    item = running()
    assert sweep(item) == 1

    [recipient] = item.recipients.all()
    assert recipient.status == RecipientStatus.SENT and recipient.channel == "email"
    message = recipient.message
    assert message.author_kind == AuthorKind.SYSTEM and message.ticket.customer_id == customer.pk
    links = nps_links(message.body_text)
    assert [link.rsplit("=", 1)[1] for link in links] == [str(n) for n in range(11)]
    assert "当社を友人や同僚に薦める可能性" in message.body_text
    assert "/survey/nps/" in message.body_text and "/stop/" in message.body_text
    # The delivery row is the outbound port's: it leaves on the mail channel like any reply.
    delivery = OutboundDelivery.objects.get(message=message)
    assert (delivery.kind, delivery.recipient) == ("email", customer.email)
    mail = build_reply(message, recipient=customer.email)
    [(html, _type)] = mail.alternatives
    for link in links:
        assert f'href="{link}"' in html.replace("&amp;", "&")


def test_english_customer_gets_the_english_wording():
    customer_with_ticket(language="en")
    item = running(question_en="Would you recommend Madoguchi Shop?")
    sweep(item)
    text = item.recipients.get().message.body_text
    assert "Would you recommend Madoguchi Shop?" in text
    assert "0 = not at all likely, 10 = extremely likely" in text


def test_mail_is_preferred_over_a_newer_social_conversation():
    customer = customer_with_ticket(channel="email", days_ago=30)
    line = IdentityFactory(customer=customer, kind="line", handle="U-both")
    TicketFactory(customer=customer, identity=line, channel="line")
    item = running()
    sweep(item)
    recipient = item.recipients.get()
    # Drawn with its last contact (LINE) for the segment report, sent by mail with 11 links.
    assert recipient.channel == "email" and len(nps_links(recipient.message.body_text)) == 11


def test_throttle_spreads_the_hourly_limit_over_the_sweeps():
    for _ in range(7):
        customer_with_ticket()
    item = running(throttle_per_hour=120)  # two a minute
    assert sweep(item) == 2
    assert sweep(item, minutes=1) == 2
    assert sweep(item, minutes=2) == 2
    assert sweep(item, minutes=3) == 1
    item.refresh_from_db()
    assert item.status == CampaignStatus.FINISHED  # everyone handled: sending is over
    assert Message.objects.filter(author_kind=AuthorKind.SYSTEM).count() == 7


def test_throttle_never_exceeds_the_hourly_limit():
    for _ in range(6):
        customer_with_ticket()
    item = running(throttle_per_hour=3)
    sent = [sweep(item, minutes=minute) for minute in range(0, 60, 1)]
    assert sum(sent) == 3  # within one hour, whatever the number of sweeps
    assert sweep(item, minutes=61) == 1  # the window moves on


def test_a_crash_mid_batch_sends_nothing_twice(monkeypatch):
    for _ in range(4):
        customer_with_ticket()
    item = running()
    real = nps_sending.ticket_services.post_system_message
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(nps_sending.ticket_services, "post_system_message", flaky)
    with pytest.raises(RuntimeError):
        sweep(item)
    # Everything of the batch rolled back together: no message, no delivery, nobody "sent".
    assert not Message.objects.filter(author_kind=AuthorKind.SYSTEM).exists()
    assert not OutboundDelivery.objects.exists()
    assert not NpsRecipient.objects.filter(status=RecipientStatus.SENT).exists()

    monkeypatch.setattr(nps_sending.ticket_services, "post_system_message", real)
    assert sweep(item) == 4
    assert sweep(item, minutes=1) == 0
    per_customer = Message.objects.filter(author_kind=AuthorKind.SYSTEM).values_list(
        "ticket__customer_id", flat=True
    )
    assert len(per_customer) == len(set(per_customer)) == 4
    assert OutboundDelivery.objects.count() == 4


def test_a_second_sweep_sends_nothing_already_sent():
    customer_with_ticket()
    item = running()
    assert sweep(item) == 1
    recipient = item.recipients.get()
    assert nps_sending.send_recipient(recipient=recipient, campaign=item, now=timezone.now())
    # send_recipient is only ever given queued rows; the sweep itself never picks a sent one.
    NpsRecipient.objects.filter(pk=recipient.pk).update(status=RecipientStatus.SENT)
    assert sweep(item, minutes=1) == 0


def test_exclusions_are_checked_again_at_send_time():
    stays = customer_with_ticket()
    gets_blocked = customer_with_ticket()
    item = running(throttle_per_hour=60)
    assert sweep(item) == 1  # draws both, sends the first
    gets_blocked.blocked_at = timezone.now()
    gets_blocked.save()
    sweep(item, minutes=1)

    rows = dict(item.recipients.values_list("customer_id", "skip_reason"))
    assert rows == {stays.pk: "", gets_blocked.pk: RecipientSkip.BLOCKED}


def test_recently_asked_by_another_campaign_is_skipped_at_send():
    customer = customer_with_ticket()
    first = running(name="first")
    second = running(name="second", exclude_recent_days=30)
    nps_sending.process_campaign(campaign_id=second.pk)  # drawn before the first sent
    NpsRecipient.objects.filter(campaign=second).update(status=RecipientStatus.QUEUED)
    sweep(first)
    second.status = CampaignStatus.RUNNING
    second.save()
    NpsRecipient.objects.filter(campaign=second, customer=customer).update(
        status=RecipientStatus.QUEUED, skip_reason="", sent_at=None, message=None
    )
    sweep(second, minutes=1)
    assert NpsRecipient.objects.get(campaign=second).skip_reason == RecipientSkip.RECENT


def test_customer_without_a_usable_conversation_is_skipped_not_retried():
    customer = customer_with_ticket()
    item = running()
    # The conversation was merged away after the draw.
    ticket = customer.tickets.get()
    other = TicketFactory(customer=customer, identity=ticket.identity, channel="phone")
    from tickets.models import Ticket

    nps_sending.process_campaign(campaign_id=item.pk, now=timezone.now() - timedelta(days=1))
    Ticket.objects.filter(pk=ticket.pk).update(merged_into=other)
    item.refresh_from_db()
    item.status, item.drawn_at = CampaignStatus.RUNNING, None
    item.save()
    NpsRecipient.objects.all().delete()
    sweep(item)
    assert item.recipients.count() == 0  # an unreachable customer is not even drawn
    # …and one who becomes unreachable between draw and send is skipped with the reason.
    recipient = NpsRecipient.objects.create(
        campaign=item, customer=customer, language="ja", nonce="x"
    )
    assert not nps_sending.send_recipient(recipient=recipient, campaign=item, now=timezone.now())
    recipient.refresh_from_db()
    assert (recipient.status, recipient.skip_reason) == ("skipped", RecipientSkip.NO_CHANNEL)


def test_paused_and_draft_campaigns_send_nothing_and_the_task_sends_running_ones():
    customer_with_ticket()
    paused = running(name="paused")
    paused.status = CampaignStatus.PAUSED
    paused.save()
    assert sweep(paused) == 0 and paused.recipients.count() == 0

    live = running(name="live")
    assert tasks.send_nps_campaigns() == 1
    assert live.recipients.get().status == RecipientStatus.SENT
    assert tasks.send_nps_campaigns() == 0  # finished: nothing more


def test_beat_runs_the_nps_sweep():
    from helpdesk.celery import app

    entries = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "feedback.tasks.send_nps_campaigns" in entries
