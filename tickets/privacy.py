"""The tickets' share of data subject requests and of the retention policy.

Registered with `customers.erasure` in TicketsConfig.ready(): an export carries every ticket,
message and attachment of the customer; an erasure (and retention, for old solved tickets)
replaces subjects and message bodies with a marker and deletes attachments, while ticket rows,
statuses, channels and timestamps stay for the statistics.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import translation
from django.utils.translation import gettext

from customers.erasure import ErasureSubject, ExportFile, ExportPart
from customers.models import Customer

from .models import Attachment, Message, Status, Ticket
from .search_index import BATCH_SIZE, tickets_search_refresh

CLOSED_STATUSES = (Status.SOLVED, Status.CLOSED)


def redacted_marker() -> str:
    """What replaces erased text, in the deployment's language (stored, not translated later)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("[redacted]")


class TicketPersonalData:
    name = "tickets"

    def export(self, customer: Customer) -> ExportPart:
        messages = Message.objects.select_related("author").prefetch_related("attachments")
        tickets = (
            Ticket.objects.filter(customer=customer)
            .prefetch_related("tags", Prefetch("messages", queryset=messages))
            .order_by("created_at", "id")
        )
        files: list[ExportFile] = []
        rows = []
        for ticket in tickets:
            rows.append(
                {
                    "id": ticket.pk,
                    "subject": ticket.subject,
                    "status": ticket.status,
                    "channel": ticket.channel,
                    "tags": [tag.name for tag in ticket.tags.all()],
                    "created_at": ticket.created_at,
                    "solved_at": ticket.solved_at,
                    "messages": [self._message(m, files) for m in ticket.messages.all()],
                }
            )
        return ExportPart(data=rows, files=files)

    def _message(self, message: Message, files: list[ExportFile]) -> dict:
        attachments = []
        for attachment in message.attachments.all():
            path = _export_path(attachment, message.ticket_id)
            files.append(ExportFile(path=path, open=_opener(attachment)))
            attachments.append(
                {
                    "filename": attachment.filename,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                    "file": path,
                }
            )
        return {
            "id": message.pk,
            "author_kind": message.author_kind,
            "author": message.author.display_name if message.author else None,
            "internal": message.internal,
            "channel": message.channel,
            "body_text": message.body_text,
            "body_html": message.body_html,
            "created_at": message.created_at,
            "attachments": attachments,
        }

    def erase(self, subject: ErasureSubject) -> dict[str, int]:
        ticket_ids = list(
            Ticket.objects.filter(customer=subject.customer).values_list("pk", flat=True)
        )
        counts = _redact_tickets(ticket_ids)
        return {"tickets": len(ticket_ids), **counts}

    def expire(self, before: datetime) -> dict[str, int]:
        marker = redacted_marker()
        due = (
            Ticket.objects.filter(status__in=CLOSED_STATUSES)
            .filter(Q(solved_at__lt=before) | Q(solved_at__isnull=True, updated_at__lt=before))
            .exclude(subject=marker)
        )
        totals = {"expired_tickets": 0, "messages": 0, "attachments": 0}
        while ticket_ids := list(due.values_list("pk", flat=True)[:BATCH_SIZE]):
            counts = _redact_tickets(ticket_ids)
            totals["expired_tickets"] += len(ticket_ids)
            totals["messages"] += counts["messages"]
            totals["attachments"] += counts["attachments"]
        return totals


def _redact_tickets(ticket_ids: list[int]) -> dict[str, int]:
    """Subjects and bodies become the marker, attachments go (files after the commit), the
    search index forgets the words. `update()` leaves `updated_at` and the inbox order alone."""
    if not ticket_ids:
        return {"messages": 0, "attachments": 0}
    marker = redacted_marker()
    attachments = Attachment.objects.filter(message__ticket_id__in=ticket_ids)
    names = [name for name in attachments.values_list("file", flat=True) if name]
    deleted = attachments.delete()[0]
    messages = Message.objects.filter(ticket_id__in=ticket_ids).update(
        body_text=marker, body_html=""
    )
    Ticket.objects.filter(pk__in=ticket_ids).update(subject=marker)
    for start in range(0, len(ticket_ids), BATCH_SIZE):
        tickets_search_refresh(ticket_ids[start : start + BATCH_SIZE])
    transaction.on_commit(lambda: _delete_files(names))
    return {"messages": messages, "attachments": deleted}


def _delete_files(names: Iterable[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def _export_path(attachment: Attachment, ticket_id: int) -> str:
    # The customer's file name, without any folder part it may pretend to have.
    filename = posixpath.basename(attachment.filename.replace("\\", "/")) or "file"
    return f"attachments/{ticket_id}/{attachment.pk}-{filename}"


def _opener(attachment: Attachment):
    return lambda: attachment.file.storage.open(attachment.file.name, "rb")
