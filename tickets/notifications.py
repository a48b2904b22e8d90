"""Agent notifications: @mentions in internal notes, other apps' alerts (SLA warnings and
breaches), the bell's unread count, marking read.

A note's author writes `@aiko` (the part of the address before @), `@aiko@example.com`, or the
agent's name without spaces (`@佐藤花子`); each mentioned agent other than the author gets one
Notification and a live nudge on their own socket only.

Other kinds are filed by the app that knows the facts (`notify`), and that app also says how
the bell words them (`register_summary`), so tickets never imports it: the sla app fills in the
text for SLA_WARNING / SLA_BREACH at ready().
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from helpdesk.models import STAFF_ROLES, User

from . import realtime
from .access import can_see
from .models import Message, Notification, NotificationKind

MENTION = re.compile(r"(?<![\w@.])@([\w.+\-]+(?:@[\w\-]+(?:\.[\w\-]+)+)?)")
MAX_MENTIONS = 20

# kind → function(notifications of that kind) -> {notification id: text in the active language}
SummaryFn = Callable[[list[Notification]], dict[int, str]]
_summaries: dict[str, SummaryFn] = {}


def register_summary(kind: str, summarize: SummaryFn) -> None:
    """Say how the bell words notifications of `kind` (called from an AppConfig.ready())."""
    _summaries[kind] = summarize


def mention_tokens(text: str) -> list[str]:
    tokens = [match.group(1).rstrip(".-").lower() for match in MENTION.finditer(text)]
    return list(dict.fromkeys(token for token in tokens if token))[:MAX_MENTIONS]


def mentioned_agents(text: str) -> list[User]:
    """Active staff the text mentions, in the order first mentioned (one query)."""
    tokens = mention_tokens(text)
    if not tokens:
        return []
    # Staff are few (hundreds at most), and names without spaces cannot be matched in SQL.
    candidates = list(User.objects.filter(is_active=True, role__in=STAFF_ROLES))
    by_token: dict[str, User] = {}
    for user in candidates:
        keys = {
            user.email.lower(),
            user.email.split("@")[0].lower(),
            "".join(user.name.split()).lower(),
        }
        for key in keys - {""}:
            by_token.setdefault(key, user)
    found = [by_token[token] for token in tokens if token in by_token]
    return list({user.pk: user for user in found}.values())


def notify_mentions(*, message: Message) -> list[Notification]:
    """Called by tickets.services.reply for internal notes, inside its transaction."""
    if not message.internal:
        return []
    # Someone who may not see the ticket would be sent to a page that says it does not exist.
    recipients = [
        user
        for user in mentioned_agents(message.body_text)
        if user.pk != message.author_id and can_see(user, message.ticket)
    ]
    created = Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind=NotificationKind.MENTION,
                ticket_id=message.ticket_id,
                message=message,
                actor_id=message.author_id,
            )
            for user in recipients
        ],
        ignore_conflicts=True,
    )
    for user in recipients:
        realtime.publish(
            "notification.created",
            user=user.pk,
            ticket=message.ticket_id,
            kind=NotificationKind.MENTION,
        )
    return created


def notify(
    *, user_ids: Iterable[int], kind: str, ticket_id: int, actor_id: int | None = None
) -> list[Notification]:
    """File one notification of `kind` per user, inside the caller's transaction, and nudge
    each one's bell after commit. Exactly-once is the caller's business: it knows what the
    notification is about (tickets only holds the row)."""
    users = list(dict.fromkeys(user_ids))
    created = Notification.objects.bulk_create(
        [
            Notification(user_id=user_id, kind=kind, ticket_id=ticket_id, actor_id=actor_id)
            for user_id in users
        ]
    )
    for user_id in users:
        realtime.publish("notification.created", user=user_id, ticket=ticket_id, kind=kind)
    return created


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def recent_notifications(user: User, *, limit: int = 30) -> list[Notification]:
    """The newest notifications, each with `summary`: the registered wording of its kind (in
    the active language), or "" for mentions, which the bell words itself. One query, plus
    one per other kind present."""
    items = list(
        Notification.objects.filter(user=user)
        .select_related("ticket", "actor", "message")
        .order_by("-created_at", "-id")[:limit]
    )
    by_kind: dict[str, list[Notification]] = {}
    for item in items:
        item.summary = ""
        by_kind.setdefault(item.kind, []).append(item)
    for kind, group in by_kind.items():
        summarize = _summaries.get(kind)
        if summarize is None:
            continue
        texts = summarize(group)
        for item in group:
            item.summary = texts.get(item.pk, "")
    return items


def mark_read(
    *, user: User, notification_ids: list[int] | None = None, ticket_id: int | None = None
) -> int:
    """Mark some (or, with neither argument, all) of the user's notifications read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    if ticket_id is not None:
        unread = unread.filter(ticket_id=ticket_id)
    with transaction.atomic():
        count = unread.update(read_at=timezone.now())
        if count:
            realtime.publish("notification.read", user=user.pk)
    return count
