"""Demo data for the feedback app (called by `manage.py seed_demo`; safe to run again).

Ratings and items are recorded as past history on the demo tickets: nothing is sent to anyone.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tickets.models import Ticket

from .models import (
    FeedbackItem,
    FeedbackLink,
    FollowUpTemplate,
    Scale,
    Survey,
    SurveyResponse,
    SurveySettings,
    SurveyStatus,
)
from .tokens import new_nonce

DEMO_DOMAIN = "madoguchi.demo"

# (demo message key, rating 1 good / 0 bad, reason, comment, days ago)
RATINGS = [
    ("1", 1, "", "配送状況をすぐに調べていただき助かりました。", 2),
    ("2", 0, "回答が遅かった", "返事が来るまで三日かかりました。", 5),
    ("3", 1, "", "Quick replacement, thank you!", 1),
    ("4", 0, "My issue was not resolved", "I still cannot log in.", 3),
    ("5", 1, "", "", 8),
]

ITEMS = [
    (
        "ダークモードに対応してほしい",
        "夜にアプリを使うお客様から、画面が明るすぎるというご要望。",
        "planned",
        ["1", "2"],
    ),
    ("Gift wrapping at checkout", "Customers ask to add gift wrapping to orders.", "new", ["3"]),
]


def _demo_ticket(key: str) -> Ticket | None:
    return (
        Ticket.objects.filter(messages__external_id=f"<demo-{key}@{DEMO_DOMAIN}>")
        .select_related("customer")
        .first()
    )


@transaction.atomic
def seed_demo_feedback() -> None:
    SurveySettings.objects.get_or_create(channel="email")
    SurveySettings.objects.get_or_create(channel="web")
    FollowUpTemplate.objects.get_or_create(name="解決確認 / Did the fix work?")
    now = timezone.now()
    for key, rating, reason, comment, days_ago in RATINGS:
        ticket = _demo_ticket(key)
        if ticket is None or Survey.objects.filter(ticket=ticket).exists():
            continue
        when = now - timedelta(days=days_ago)
        survey = Survey.objects.create(
            ticket=ticket,
            customer=ticket.customer,
            channel=ticket.channel,
            status=SurveyStatus.SENT,
            language=ticket.customer.language or "ja",
            scale=Scale.GOOD_BAD,
            send_at=when,
            sent_at=when,
            expires_at=when + timedelta(days=28),
            nonce=new_nonce(),
        )
        response = SurveyResponse.objects.create(
            survey=survey,
            ticket=ticket,
            customer=ticket.customer,
            agent_id=ticket.assignee_id,
            team_id=ticket.team_id,
            channel=ticket.channel,
            scale=Scale.GOOD_BAD,
            rating=rating,
            is_good=bool(rating),
            reason=reason,
            comment=comment,
        )
        SurveyResponse.objects.filter(pk=response.pk).update(created_at=when + timedelta(hours=2))
    for title, description, status, keys in ITEMS:
        item, _created = FeedbackItem.objects.get_or_create(
            title=title, defaults={"description": description, "status": status}
        )
        for key in keys:
            ticket = _demo_ticket(key)
            if ticket is not None:
                FeedbackLink.objects.get_or_create(
                    item=item, ticket=ticket, defaults={"customer": ticket.customer}
                )
