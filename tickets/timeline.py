"""The ticket page's conversation: every message rendered once, then served from the cache.

A ticket with a hundred messages used to be rendered tag by tag on every view (icons, channel
badges, masked handles, quote splitting, delivery footers): most of the page's time. A message's
HTML is a pure function of its own row, its author's name, its identity, its delivery, its
attachments and the viewer's language, time zone and right to see contact details, so the
fragment is cached under a digest of exactly those inputs. Nothing is ever invalidated: when
anything shown changes (an erasure rewrites the text, a receipt arrives, a name changes), the
digest changes and the message is rendered afresh; old entries expire on their own.

Even a fully cached timeline cost more than half of the page's time when the digests were taken
in Python: a hundred messages, their authors, identities, deliveries and attachments became
model instances only to be hashed. PostgreSQL now takes the digest of those very rows in the
query that lists the messages (`md5` of their text form), so an unchanged conversation costs one
small query and one cache read: the whole timeline is kept per ticket and viewer shape next to
the digests it was built from, and only a message whose digest moved is loaded and rendered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.core.cache import cache as fragment_cache
from django.db import connection
from django.db.models import Prefetch
from django.template import Context
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import get_script_prefix
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


@dataclass(frozen=True)
class Timeline:
    """What the page shows of the conversation: the message ids in order and their HTML."""

    message_ids: list[int]
    html: SafeString

    def __bool__(self) -> bool:
        return bool(self.message_ids)

    @property
    def last_message_id(self) -> int:
        return self.message_ids[-1] if self.message_ids else 0


def ticket_timeline(*, ticket: Ticket, show_contact_details: bool) -> Timeline:
    """The conversation's HTML: one query and one cache read while nothing in it changed."""
    rows = _message_digests(ticket.pk)
    ids = [message_id for message_id, _digest in rows]
    viewer = _viewer_key(show_contact_details)
    # A customer's message shows the customer's name when its identity has none.
    customer_name = getattr(ticket.customer, "display_name", "")
    keys = [_fragment_key(message_id, digest, viewer, customer_name) for message_id, digest in rows]
    whole_key, whole_digest = _timeline_key(ticket.pk, viewer), _digest(keys)
    found = fragment_cache.get(whole_key) if keys else None
    if isinstance(found, tuple) and len(found) == 2 and found[0] == whole_digest:
        html = found[1]
    else:
        html = "".join(_fragments(keys, ids, ticket, show_contact_details))
        if keys:
            fragment_cache.set(whole_key, (whole_digest, html), FRAGMENT_SECONDS)
    # Our own template's output (outside text is escaped there), or that output cached.
    return Timeline(ids, mark_safe(html))  # noqa: S308


def timeline_messages(*, ticket: Ticket, ids: Iterable[int] | None = None) -> list[Message]:
    """The ticket's messages (or those of `ids`), oldest first, with everything the timeline
    shows: two queries. All of them (a first view) from queries compiled once per process:
    building them through the ORM cost ~4 ms of CPU per view."""
    if ids is None:
        return _all_timeline_messages(ticket.pk)
    messages = ticket.messages.filter(pk__in=list(ids))
    return list(
        messages.select_related("author", "identity", "delivery")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def _all_timeline_messages(ticket_id: int) -> list[Message]:
    messages_query, attachments_query = _compiled_timeline_queries(connection.alias)
    values = {_TICKET_SENTINEL: ticket_id}
    messages = messages_query.rows(values)
    attachments: dict[int, list[Attachment]] = {message.pk: [] for message in messages}
    for attachment in attachments_query.rows(values):
        attachments.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        # What prefetch_related("attachments") leaves: message.attachments.all() reads it.
        message._prefetched_objects_cache = {"attachments": attachments[message.pk]}
    return messages


_TICKET_SENTINEL = -7_654_341


@cache
def _compiled_timeline_queries(alias: str):
    from .ticket_page_queries import CompiledQuery

    messages = (
        Message.objects.filter(ticket_id=_TICKET_SENTINEL)
        .select_related("author", "identity", "delivery")
        .order_by("created_at", "id")
    )
    attachments = Attachment.objects.filter(message__ticket_id=_TICKET_SENTINEL).order_by("id")
    return (
        CompiledQuery(messages, (_TICKET_SENTINEL,)),
        CompiledQuery(attachments, (_TICKET_SENTINEL,)),
    )


def _fragments(
    keys: list[str], ids: list[int], ticket: Ticket, show_contact_details: bool
) -> list[str]:
    """Each message's HTML in order: one cache round trip, and a render for each miss."""
    found = fragment_cache.get_many(keys) if keys else {}
    missing = [message_id for key, message_id in zip(keys, ids, strict=True) if key not in found]
    if missing:
        fresh = {}
        messages = timeline_messages(
            ticket=ticket, ids=None if len(missing) == len(ids) else missing
        )
        rendered = _render_messages(messages, ticket, show_contact_details)
        for key, message_id in zip(keys, ids, strict=True):
            if message_id in rendered:
                found[key] = fresh[key] = rendered[message_id]
        fragment_cache.set_many(fresh, FRAGMENT_SECONDS)
    # A message deleted between the two queries is left out rather than shown stale.
    return [found[key] for key in keys if key in found]


def _render_messages(
    messages: list[Message], ticket: Ticket, show_contact_details: bool
) -> dict[int, str]:
    """Each message's fragment, as render_to_string(MESSAGE_TEMPLATE, …) renders it alone,
    through one context: a hundred messages made a hundred contexts and template lookups."""
    template = get_template(MESSAGE_TEMPLATE).template
    context = Context({"ticket": ticket, "show_contact_details": show_contact_details})
    rendered = {}
    for message in messages:
        with context.push(message=message):
            rendered[message.pk] = template.render(context)
    return rendered


@cache
def _digest_sql() -> str:
    """Each message of a ticket with the md5 of every row its fragment is rendered from: the
    message, its author's name and e-mail (display_name), its identity, its delivery and its
    attachments. A row's text form spells NULL apart from "", so no two states collide."""
    user = get_user_model()._meta.db_table
    identity = Message._meta.get_field("identity").related_model._meta.db_table
    delivery_rel = Message._meta.get_field("delivery")
    delivery = delivery_rel.related_model._meta.db_table
    delivery_fk = delivery_rel.field.column
    attachment = Attachment._meta.db_table
    message = Message._meta.db_table
    qn = connection.ops.quote_name
    # Only the models' own table and column names, quoted: no outside text reaches the SQL.
    return (
        "SELECT m.id, md5(ROW(m, u.name, u.email, i, d, ("  # noqa: S608 - table names only
        f"SELECT array_agg(a ORDER BY a.id) FROM {qn(attachment)} a WHERE a.message_id = m.id"
        f"))::text) FROM {qn(message)} m "
        f"LEFT JOIN {qn(user)} u ON u.id = m.author_id "
        f"LEFT JOIN {qn(identity)} i ON i.id = m.identity_id "
        f"LEFT JOIN {qn(delivery)} d ON d.{qn(delivery_fk)} = m.id "
        "WHERE m.ticket_id = %s ORDER BY m.created_at, m.id"
    )


def _message_digests(ticket_id: int) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_digest_sql(), [ticket_id])
        return cursor.fetchall()


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
            get_script_prefix(),
            "pii" if show_contact_details else "masked",
        )
    )


def _digest(parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _fragment_key(message_id: int, row_digest: str, viewer: str, customer_name: str) -> str:
    return f"ticket-msg:{message_id}:{_digest((viewer, row_digest, customer_name))}"


def _timeline_key(ticket_id: int, viewer: str) -> str:
    """One entry per ticket and viewer shape, overwritten as the conversation grows."""
    return f"ticket-timeline:{ticket_id}:{_digest(viewer)}"
