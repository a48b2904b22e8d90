"""`manage.py seed_demo`: demo staff, tickets and help-center articles in Japanese and English.

Safe to run again and again. It lives in the project package because it fills every app.
"""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from helpdesk.models import Role, User
from tickets import services
from tickets.inbound import IncomingMessage
from tickets.models import AuthorKind, Message, Team
from tickets.search_index import ticket_search_refresh

DEMO_DOMAIN = "madoguchi.demo"
ADMIN_EMAIL = os.environ.get("DEMO_ADMIN_EMAIL", "admin@madoguchi.localhost")
ADMIN_PASSWORD = os.environ.get("DEMO_ADMIN_PASSWORD", "madoguchi-demo")

STAFF = [
    ("sato@madoguchi.localhost", "佐藤 花子", Role.AGENT, "サポート（日本）", "ja", "Asia/Tokyo"),
    ("emma@madoguchi.localhost", "Emma Wilson", Role.AGENT, "Support (EN)", "en", "Europe/London"),
    (
        "kenji@madoguchi.localhost",
        "田中 健二",
        Role.LIGHT_AGENT,
        "サポート（日本）",
        "ja",
        "Asia/Tokyo",
    ),
    ("mika@madoguchi.localhost", "山本 美香", Role.MANAGER, "サポート（日本）", "ja", "Asia/Tokyo"),
]

# (key, channel, sender address, sender name, subject, body, agent reply or "", status)
CONVERSATIONS = [
    (
        "1",
        "email",
        "yamada.taro@example.jp",
        "山田 太郎",
        "注文した商品が届きません",
        "先週注文した商品（注文番号 10482）がまだ届いていません。\n配送状況を教えていただけますか。",
        "山田様\n\nお問い合わせありがとうございます。配送状況を確認しております。本日中にご連絡いたします。",
        "pending",
    ),
    (
        "2",
        "web",
        "suzuki.hanako@example.jp",
        "鈴木 花子",
        "返品・交換について",
        "サイズが合わなかったので交換したいです。手続きを教えてください。",
        "",
        "new",
    ),
    (
        "3",
        "email",
        "olivia@example.com",
        "Olivia Brown",
        "Refund for a damaged item",
        "The mug I received was cracked. Could I get a refund or a replacement?",
        "Hi Olivia,\n\nI'm sorry about that! I've started a replacement; you'll get tracking by mail.",
        "solved",
    ),
    (
        "4",
        "web",
        "liam@example.com",
        "Liam Chen",
        "Cannot log in to my account",
        "I reset my password twice but the login page still says it is wrong.",
        "",
        "open",
    ),
    (
        "5",
        "email",
        "takahashi@example.co.jp",
        "高橋 一郎",
        "請求書の再発行をお願いします",
        "㈱高橋商店の髙橋です。①10月分 ②11月分 の請求書を再発行していただけますか。",
        "",
        "new",
    ),
]


class Command(BaseCommand):
    help = "Create demo staff, teams and ja/en tickets (idempotent) and print the admin login."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            admin = self._admin()
            agents = self._staff()
            for conversation in CONVERSATIONS:
                self._conversation(conversation, agents)
        call_command("seed_help_center", verbosity=0)
        from sla.seeding import seed_default_sla  # Tokyo calendar and default SLA policies

        seed_default_sla()
        from feedback.seeding import seed_demo_feedback  # CSAT ratings, follow-up, items

        seed_demo_feedback()
        call_command("seed_automations", verbosity=0)  # auto-reply, routing, assignment
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin: {admin.email} / password: {ADMIN_PASSWORD}  (sign in at /accounts/login/)"
            )
        )

    def _admin(self) -> User:
        admin, created = User.objects.get_or_create(
            email=ADMIN_EMAIL,
            defaults={"name": "Admin", "role": Role.ADMIN, "is_staff": True, "is_superuser": True},
        )
        if created or not admin.check_password(ADMIN_PASSWORD):
            admin.set_password(ADMIN_PASSWORD)
            admin.save()
        return admin

    def _staff(self) -> dict[str, User]:
        agents: dict[str, User] = {}
        for email, name, role, team_name, language, zone in STAFF:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={"name": name, "role": role, "language": language, "time_zone": zone},
            )
            if created:
                user.set_password(ADMIN_PASSWORD)
                user.save()
            Team.objects.get_or_create(name=team_name)[0].members.add(user)
            agents[language] = agents.get(language) or user
        return agents

    def _conversation(self, conversation: tuple, agents: dict[str, User]) -> None:
        key, channel, address, name, subject, body, answer, status = conversation
        message = services.receive_message(
            IncomingMessage(
                channel=channel,
                identity_kind="email",
                handle=address,
                display_name=name,
                subject=subject,
                body_text=body,
                external_id=f"<demo-{key}@{DEMO_DOMAIN}>",
            )
        )
        ticket = message.ticket
        japanese = any("\u3040" <= ch <= "\u9fff" for ch in subject)
        team = Team.objects.get(name="サポート（日本）" if japanese else "Support (EN)")
        if answer and not ticket.messages.filter(author_kind=AuthorKind.AGENT).exists():
            # Past history, not a new reply: recorded without sending anything to anyone.
            Message.objects.create(
                ticket=ticket,
                author_kind=AuthorKind.AGENT,
                author=agents["ja" if japanese else "en"],
                channel=ticket.channel,
                body_text=answer,
            )
        if ticket.team_id is None:
            services.update_ticket(
                ticket=ticket,
                actor=agents["ja" if japanese else "en"],
                status=status,
                team=team,
                assignee=agents["ja" if japanese else "en"] if answer else None,
                tags=["demo", "日本語" if japanese else "english"],
            )
        # The history above was written directly, and older demo data predates search.
        ticket_search_refresh(ticket)
