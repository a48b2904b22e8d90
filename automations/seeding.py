"""Demo and first-install defaults: the new-ticket auto-reply, routing and assignment."""

from __future__ import annotations

from tickets.models import Channel, Priority, Status, Team

from .models import (
    AssignmentMode,
    Automation,
    AutomationEvent,
    Product,
    RoutingRule,
    TeamAssignment,
    TimeBasis,
    TimeUnit,
)

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
    seed_demo_time_automations()
    seed_demo_products()


PENDING_REMINDER = """{{customer.name}} 様
お問い合わせ #{{ticket.id}}「{{ticket.subject}}」について、その後いかがでしょうか。
ご不明な点があれば、このメッセージにご返信ください。

Is there anything else we can help with on request #{{ticket.id}}? Just reply to this message."""


def seed_demo_time_automations() -> None:
    """The three time rules every helpdesk starts with (idempotent, never overwritten)."""
    rules = [
        (
            "解決済みを4日後にクローズ / Close solved tickets after 4 days",
            {
                "time_basis": TimeBasis.STATUS,
                "time_amount": 4,
                "time_unit": TimeUnit.DAYS,
                "statuses": [Status.SOLVED],
                "set_status": Status.CLOSED,
            },
        ),
        (
            "保留3日でお客様にリマインド / Remind the customer after 3 days pending",
            {
                "time_basis": TimeBasis.STATUS,
                "time_amount": 3,
                "time_unit": TimeUnit.DAYS,
                "statuses": [Status.PENDING],
                "add_tags": ["reminded"],
                "reply_text": PENDING_REMINDER,
            },
        ),
        (
            "未割り当て2時間でエスカレーション / Escalate unassigned after 2 hours",
            {
                "time_basis": TimeBasis.CREATED,
                "time_amount": 2,
                "time_unit": TimeUnit.HOURS,
                "statuses": [Status.NEW, Status.OPEN],
                "assignee_is": "unassigned",
                "set_priority": Priority.URGENT,
                "add_tags": ["escalated"],
                "notify_text": "#{{ticket.id}} {{ticket.subject}}: 2時間未割り当て / unassigned 2h",
            },
        ),
    ]
    for position, (name, fields) in enumerate(rules, start=100):
        Automation.objects.get_or_create(
            name=name, defaults={"event": AutomationEvent.TIME, "position": position, **fields}
        )


def seed_demo_products() -> None:
    for name, tag, keywords in [
        ("POSレジ / POS register", "product-pos", ["レジ", "POS register"]),
        ("ネットショップ / Online shop", "product-shop", ["ネットショップ", "カート", "checkout"]),
        ("モバイルアプリ / Mobile app", "product-app", ["アプリ", "mobile app"]),
    ]:
        Product.objects.get_or_create(tag=tag, defaults={"name": name, "keywords": keywords})
