"""Reads for the channel pages."""

from __future__ import annotations

from django.db.models import Count, Window

from tickets.models import Channel

from .models import MailAccount


def mail_accounts() -> list[MailAccount]:
    """Every mailbox for the settings list: one query, no password material."""
    return list(MailAccount.objects.defer("password_encrypted").order_by("name", "pk"))


ATTENTION_LIMIT = 50


def events_needing_attention(*, kinds, limit: int = ATTENTION_LIMIT) -> tuple[list, int]:
    """Held and failed inbound events of these channels, newest first, for the settings pages.

    Returns (events, total). The raw payload is deferred (a mail can be megabytes); each event
    gets `account_name` — the social account or mailbox it came through, where known.
    """
    from .models import InboundEvent, InboundStatus, SocialAccount

    waiting = InboundEvent.objects.filter(
        kind__in=list(kinds), status__in=[InboundStatus.HELD, InboundStatus.FAILED]
    )
    # One query for the page and the total (a window count), and none more when all is well.
    events = list(
        waiting.defer("payload")
        .annotate(total=Window(Count("id")))
        .order_by("-received_at", "-id")[:limit]
    )
    if not events:
        return [], 0
    social = {
        (kind, str(pk)): name
        for pk, kind, name in SocialAccount.objects.filter(
            pk__in=[int(e.account_id) for e in events if e.account_id.isdecimal()]
        ).values_list("pk", "kind", "name")
    }
    mailboxes = dict(MailAccount.objects.values_list("pk", "name"))
    labels = dict(Channel.choices)
    for event in events:
        event.channel_label = labels.get(event.kind, event.kind)
        event.account_name = social.get((event.kind, event.account_id), "")
        source = str(event.headers.get("source", ""))
        if event.kind == "email" and source.split(":")[0] in ("imap", "pop3"):
            parts = source.split(":")
            if len(parts) > 1 and parts[1].isdecimal():
                event.account_name = mailboxes.get(int(parts[1]), "")
    return events, events[0].total
