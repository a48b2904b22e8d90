"""The ticket page's conversation: every message rendered once, then served from the cache.

A ticket with a hundred messages used to be rendered tag by tag on every view (icons, channel
badges, masked handles, quote splitting, delivery footers): most of the page's time. A message's
HTML is a pure function of its own row, its author's name, its identity, its delivery, its
attachments and the viewer's language, time zone and right to see contact details, so the
fragment is cached under a digest of exactly those inputs. Nothing is ever invalidated: when
anything shown changes (an erasure rewrites the text, a receipt arrives, a name changes), the
digest changes and the message is rendered afresh; old entries expire on their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache

from django.core.cache import cache as fragment_cache
from django.db.models import Model, Prefetch
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from .models import Attachment, Message, Ticket

MESSAGE_TEMPLATE = "tickets/_message.html"
# What _message.html includes: a change to any of them must not serve old fragments.
_TEMPLATES = (
    MESSAGE_TEMPLATE,
    "includes/icon.html",
    "includes/channel.html",
    "channels_in/_delivery_receipt.html",
    "customers/_avatar.html",
)
# Long enough that a busy ticket is rendered about once a day, short enough that fragments of
# closed tickets leave Redis.
FRAGMENT_SECONDS = 24 * 3600


def timeline_messages(*, ticket: Ticket) -> list[Message]:
    """The ticket's messages, oldest first, with everything the timeline shows: two queries."""
    return list(
        ticket.messages.select_related("author", "identity", "delivery")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def render_timeline(
    messages: Iterable[Message], *, ticket: Ticket, show_contact_details: bool
) -> list[SafeString]:
    """Each message's HTML, in order: one cache round trip, and a render for each miss."""
    messages = list(messages)
    viewer = _viewer_key(show_contact_details)
    keys = [_fragment_key(message, ticket, viewer) for message in messages]
    found = fragment_cache.get_many(keys) if keys else {}
    fresh: dict[str, str] = {}
    html: list[SafeString] = []
    for key, message in zip(keys, messages, strict=True):
        fragment = found.get(key)
        if fragment is None:
            fragment = render_to_string(
                MESSAGE_TEMPLATE,
                {
                    "message": message,
                    "ticket": ticket,
                    "show_contact_details": show_contact_details,
                },
            )
            fresh[key] = fragment
        # Our own template's output (outside text is escaped there), or that output cached.
        html.append(mark_safe(fragment))  # noqa: S308
    if fresh:
        fragment_cache.set_many(fresh, FRAGMENT_SECONDS)
    return html


@cache
def _templates_version() -> str:
    """Digest of the templates' source and the icon sprite's URL (hashed names change)."""
    digest = hashlib.blake2b(digest_size=8)
    for name in _TEMPLATES:
        digest.update(get_template(name).template.source.encode())
    digest.update(static("img/icons.svg").encode())
    return digest.hexdigest()


def _viewer_key(show_contact_details: bool) -> str:
    return "|".join(
        (
            _templates_version(),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            "pii" if show_contact_details else "masked",
        )
    )


def _row(instance: Model | None) -> tuple:
    if instance is None:
        return ()
    return tuple(getattr(instance, field.attname) for field in instance._meta.concrete_fields)


def _fragment_key(message: Message, ticket: Ticket, viewer: str) -> str:
    author = message.author
    delivery = getattr(message, "delivery", None)
    parts = (
        viewer,
        _row(message),
        author.display_name if author else "",
        _row(message.identity),
        _row(delivery),
        [_row(attachment) for attachment in message.attachments.all()],
        # Shown for a customer's message when its identity has no display name.
        getattr(ticket.customer, "display_name", "") if message.author_kind == "customer" else "",
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"ticket-msg:{message.pk}:{digest}"
