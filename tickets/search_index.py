"""What of a ticket is searchable, and keeping `Ticket.search_vector` current.

Called explicitly by the services that change those texts (receive_message, reply,
update_ticket) inside their transaction, so a ticket is findable the moment its change
commits; `manage.py reindex_tickets` runs the same code over many tickets for backfills.
No signals for ticket writes: a write that should refresh the index says so where it happens.
The one exception is the customer's own text (name, email, handles): `customers` may not import
`tickets`, so its merges and renames arrive through `customers.signals.customer_changed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Window
from django.db.models.functions import Left, RowNumber

from customers.models import Identity
from helpdesk.search import index_terms, index_terms_cached, weighted_vector

from .models import Message, Tag, Ticket

# Writes stay cheap on long conversations: only the latest messages' text is indexed, newest
# first, up to this many characters in all (tokenizing 20k characters of Japanese takes ~40 ms).
MESSAGE_TEXT_LIMIT = 20_000
MESSAGES_PER_TICKET = 100
BATCH_SIZE = 200


def ticket_search_refresh(ticket: Ticket) -> None:
    """Recompute one ticket's search vector: three queries whatever its size."""
    tickets_search_refresh([ticket.pk])


def tickets_search_refresh(ticket_ids: Sequence[int]) -> int:
    """Recompute the search vectors of these tickets (one batch: three queries); returns count."""
    documents = _documents(ticket_ids)
    if len(documents) == 1:
        # The services' path, once per write: a plain UPDATE compiles faster than a CASE.
        ((ticket_id, texts),) = documents.items()
        return Ticket.objects.filter(pk=ticket_id).update(search_vector=weighted_vector(texts))
    rows = []
    for ticket_id, texts in documents.items():
        row = Ticket(pk=ticket_id)
        row.search_vector = weighted_vector(texts)
        rows.append(row)
    # Only this column is written: updated_at (auto_now) and the inbox order stay as they are.
    Ticket.objects.bulk_update(rows, ["search_vector"])
    return len(rows)


def _documents(ticket_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """{ticket id: {"A": lexemes of the subject, "B": of customer and tags, "C": of messages}}."""
    tickets = (
        Ticket.objects.filter(pk__in=ticket_ids)
        .annotate(
            tag_names=ArraySubquery(
                Tag.objects.filter(tickets=OuterRef("pk")).order_by("name").values("name")
            ),
            handles=ArraySubquery(
                Identity.objects.filter(customer=OuterRef("customer_id"))
                .order_by("id")
                .values("handle")
            ),
            handle_names=ArraySubquery(
                Identity.objects.filter(customer=OuterRef("customer_id"))
                .exclude(display_name="")
                .order_by("id")
                .values("display_name")
            ),
        )
        .values(
            "pk",
            "subject",
            "customer__name",
            "customer__name_kana",
            "customer__email",
            "customer__phone",
            "tag_names",
            "handles",
            "handle_names",
        )
    )
    bodies = _message_texts(ticket_ids)
    return {
        row["pk"]: {
            # The number too: agents search "#10482" or "10482" for a ticket they were told of.
            "A": index_terms(f"{row['subject']} {row['pk']}"),
            "B": index_terms("\n".join(_people_and_tags(row))),
            # Message by message, so earlier messages come from the cache on the next write.
            "C": " ".join(index_terms_cached(body) for body in bodies.get(row["pk"], ())),
        }
        for row in tickets
    }


def _people_and_tags(row: dict) -> Iterable[str]:
    yield from (
        row["customer__name"],
        row["customer__name_kana"],
        row["customer__email"],
        row["customer__phone"],
    )
    yield from row["handles"]
    yield from row["handle_names"]
    yield from row["tag_names"]


def _message_texts(ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    """The latest messages' text per ticket (public replies and internal notes), newest first."""
    messages = Message.objects.exclude(body_text="").annotate(
        # A 5 MB pasted log is not read whole to index its first 20k characters.
        head=Left("body_text", MESSAGE_TEXT_LIMIT)
    )
    if len(ticket_ids) == 1:
        newest = messages.filter(ticket_id=ticket_ids[0]).order_by("-created_at", "-id")[
            :MESSAGES_PER_TICKET
        ]
    else:
        newest = (
            messages.filter(ticket_id__in=ticket_ids)
            .annotate(
                newest_first=Window(
                    RowNumber(), partition_by="ticket_id", order_by=("-created_at", "-id")
                )
            )
            .filter(newest_first__lte=MESSAGES_PER_TICKET)
            .order_by("ticket_id", "newest_first")
        )
    texts: dict[int, list[str]] = {}
    budget: dict[int, int] = {}
    for ticket_id, head in newest.values_list("ticket_id", "head"):
        left = budget.get(ticket_id, MESSAGE_TEXT_LIMIT)
        if left <= 0:
            continue
        texts.setdefault(ticket_id, []).append(head[:left])
        budget[ticket_id] = left - len(head)
    return texts


def customer_tickets_search_refresh(customer_id: int) -> int:
    """Re-index every ticket of one customer (after a merge or a rename), in batches."""
    ids = list(Ticket.objects.filter(customer_id=customer_id).values_list("pk", flat=True))
    return sum(
        tickets_search_refresh(ids[offset : offset + BATCH_SIZE])
        for offset in range(0, len(ids), BATCH_SIZE)
    )


def refresh_for_customer_change(sender, *, customer, **kwargs) -> None:
    """Receiver of customers.signals.customer_changed (connected in TicketsConfig.ready)."""
    customer_tickets_search_refresh(customer.pk)
