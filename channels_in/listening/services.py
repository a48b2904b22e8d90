"""Writes of social listening: monitors, and turning a found post into a ticket."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import services as channel_services
from ..models import InboundStatus, SocialKind
from ..social_common import EVENT_HEADER
from .models import ListeningMonitor, ListeningPost, ListeningPostStatus
from .polling import MAX_QUERY, build_query


def save_monitor(monitor: ListeningMonitor) -> ListeningMonitor:
    if monitor.account.kind != SocialKind.X:
        raise ValidationError(_("Listening searches X: choose an X account."))
    if not monitor.keyword_list():
        raise ValidationError(_("Enter at least one keyword."))
    if len(build_query(monitor)) > MAX_QUERY:
        raise ValidationError(
            _("The search is too long for X (at most %(n)s characters): use fewer words.")
            % {"n": MAX_QUERY}
        )
    with transaction.atomic():
        if monitor.pk:
            old = (
                ListeningMonitor.objects.filter(pk=monitor.pk)
                .values_list("keywords", "excluded_words", "language", "account_id")
                .first()
            )
            new = (monitor.keywords, monitor.excluded_words, monitor.language, monitor.account_id)
            if old != new:
                monitor.since_id = ""  # a different search starts from a fresh checkpoint
        monitor.save()
    return monitor


def create_ticket_from_post(post: ListeningPost) -> int | None:
    """File the post as if it were a mention: stored raw first as an X inbound event (the
    same key a webhook or poll of that post would use, so it is never filed twice), then
    processed into a ticket on the X channel. An agent's reply to it is a public reply.

    Returns the ticket id (None when the author is blocked or processing failed)."""
    from ..x_polling import _tweet_body

    account = post.monitor.account
    raw = post.raw.get("post") or {}
    author = post.raw.get("author") or {"id": post.author_id}
    if not raw.get("id"):
        raise ValidationError(_("This post can no longer be filed."))
    body = _tweet_body(raw, {str(post.author_id): author}, {})
    body["for_user_id"] = account.external_id
    key = f"tweet:{post.post_id}"
    event, _created = channel_services.record_inbound(
        kind="x",
        payload=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        idempotency_key=f"{account.pk}:{key}",
        headers={EVENT_HEADER: key, "source": "listening"},
        account_id=str(account.pk),
    )
    # Processed now rather than by the worker: the agent who clicked goes straight to it.
    event = channel_services.process_inbound(event.pk)
    ListeningPost.objects.filter(pk=post.pk).update(
        event=event, status=ListeningPostStatus.TICKETED
    )
    if event.status != InboundStatus.PROCESSED or event.message is None:
        return None
    return event.message.ticket_id


def set_post_status(post: ListeningPost, status: str) -> None:
    ListeningPost.objects.filter(pk=post.pk).update(status=status)
