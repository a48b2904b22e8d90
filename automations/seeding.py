"""Demo and first-install defaults: the new-ticket auto-reply, routing and assignment."""

from __future__ import annotations

from tickets.models import Channel, Priority, Team

from .models import AssignmentMode, Automation, AutomationEvent, RoutingRule, TeamAssignment

DEFAULT_AUTO_REPLY_NAME = "新規お問い合わせへの自動返信 / Auto-reply to new requests"
DEFAULT_AUTO_REPLY = """お問い合わせありがとうございます（受付番号 #{{ticket.id}}）。
担当者より1営業日以内にご返信いたします。このメールへの返信で情報を追加いただけます。

Thank you for contacting us (request #{{ticket.id}}).
We usually answer within one business day. Reply to this message to add anything."""


def seed_default_auto_reply() -> Automation:
    automation, _ = Automation.objects.get_or_create(
        name=DEFAULT_AUTO_REPLY_NAME,
        defaults={
            "event": AutomationEvent.CREATED,
            "channels": [Channel.EMAIL, Channel.WEB],
            "reply_text": DEFAULT_AUTO_REPLY,
            "position": 10,
        },
    )
    return automation


def seed_demo_automations() -> None:
    """Idempotent: creates what is missing, never overwrites an edited rule."""
    seed_default_auto_reply()
    english = Team.objects.filter(name="Support (EN)").first()
    japanese = Team.objects.filter(name="サポート（日本）").first()
    if english:
        RoutingRule.objects.get_or_create(
            name="English-speaking customers → Support (EN)",
            defaults={"languages": ["en"], "set_team": english, "position": 10},
        )
        TeamAssignment.objects.get_or_create(
            team=english, defaults={"mode": AssignmentMode.LEAST_LOADED}
        )
    if japanese:
        RoutingRule.objects.get_or_create(
            name="返品・返金・交換 → サポート（日本）・優先度 高",
            defaults={
                "keywords": ["返品", "返金", "交換", "refund", "return"],
                "set_team": japanese,
                "set_priority": Priority.HIGH,
                "position": 20,
            },
        )
        TeamAssignment.objects.get_or_create(
            team=japanese, defaults={"mode": AssignmentMode.ROUND_ROBIN}
        )
    RoutingRule.objects.get_or_create(
        name="VIP → 優先度 高 / VIP → high priority",
        defaults={"vip_only": True, "set_priority": Priority.HIGH, "position": 30},
    )
