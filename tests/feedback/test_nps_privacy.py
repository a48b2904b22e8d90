"""NPS answers in data subject requests: exported, redacted on erasure (the score stays in the
results as an anonymous number), redacted by retention; nothing more sent after erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.data_requests import customer_erase, customer_export_data, personal_data_expire
from feedback.models import NpsRecipient, RecipientSkip, SurveyOptOut
from feedback.services import nps_answers
from tests.factories import UserFactory
from tickets.privacy import redacted_marker

from .nps_helpers import customer_with_ticket, running, sweep

pytestmark = pytest.mark.django_db

COMMENT = "鈴木です。もっと早く返事がほしい"


def answered_customer():
    customer = customer_with_ticket(name="鈴木 一郎")
    item = running()
    sweep(item)
    recipient = item.recipients.get()
    nps_answers.record_score(recipient=recipient, score=4, comment=COMMENT)
    return customer, recipient


def test_export_has_the_nps_answers():
    customer, _recipient = answered_customer()
    data, _files = customer_export_data(customer)
    [answer] = data["feedback"]["nps_answers"]
    assert (answer["score"], answer["comment"]) == (4, COMMENT)
    assert data["feedback"]["surveys_opted_out"] is False


def test_erasure_redacts_the_comment_keeps_the_score_and_stops_later_surveys():
    customer, recipient = answered_customer()
    queued = running(name="next", exclude_recent_days=0)
    NpsRecipient.objects.create(campaign=queued, customer=customer, language="ja", nonce="q")
    queued.drawn_at = timezone.now()
    queued.save()

    customer_erase(customer=customer, actor=UserFactory(role="admin"), confirmation="鈴木 一郎")

    recipient.refresh_from_db()
    assert (recipient.score, recipient.comment) == (4, redacted_marker())
    later = NpsRecipient.objects.get(campaign=queued)
    assert (later.status, later.skip_reason) == ("skipped", RecipientSkip.ERASED)
    assert SurveyOptOut.objects.filter(customer=customer).exists()
    assert sweep(queued) == 0


def test_retention_redacts_old_nps_comments_only():
    _customer, recipient = answered_customer()
    counts = personal_data_expire(days=30)
    assert counts["nps_comments"] == 0
    counts = personal_data_expire(days=30, now=timezone.now() + timedelta(days=31))
    assert counts["nps_comments"] == 1
    recipient.refresh_from_db()
    assert recipient.comment == redacted_marker() and recipient.score == 4


def test_a_merged_customer_keeps_their_nps_answers_and_opt_out():
    from customers.services import customer_merge

    from .nps_helpers import campaign

    source = customer_with_ticket(name="旧アカウント")
    into = customer_with_ticket(name="新アカウント")
    both = running(name="both")
    sweep(both)  # both customers drawn and sent in the same campaign
    only_source = campaign(name="only source")
    NpsRecipient.objects.create(
        campaign=only_source, customer=source, language="ja", nonce="s", score=10
    )
    answered = NpsRecipient.objects.get(campaign=both, customer=source)
    nps_answers.record_score(recipient=answered, score=3, comment="遅い")
    SurveyOptOut.objects.create(customer=source)

    customer_merge(source=source, into=into, actor=UserFactory(role="admin"))

    rows = {r.campaign_id: r for r in NpsRecipient.objects.filter(customer=into)}
    assert set(rows) == {both.pk, only_source.pk}  # one row per campaign, none lost
    assert (rows[both.pk].score, rows[both.pk].comment) == (3, "遅い")
    assert rows[only_source.pk].score == 10
    assert SurveyOptOut.objects.filter(customer=into).exists()
