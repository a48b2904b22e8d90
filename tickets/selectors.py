"""Every read the inbox needs, with a bounded number of queries per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Left
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from helpdesk.models import User

from .models import UNSOLVED_STATUSES, Attachment, Message, Status, Team, Ticket


@dataclass(frozen=True)
class InboxView:
    key: str
    label: str


INBOX_VIEWS = (
    InboxView("mine", _("My open")),
    InboxView("unassigned", _("Unassigned")),
    InboxView("open", _("All open")),
    InboxView("pending", _("Pending")),
    InboxView("solved", _("Solved")),
    InboxView("all", _("All")),
)
DEFAULT_VIEW = "open"


def _view_filter(view: str, viewer: User) -> Q:
    unsolved = Q(status__in=UNSOLVED_STATUSES)
    return {
        "mine": unsolved & Q(assignee=viewer),
        "unassigned": unsolved & Q(assignee__isnull=True),
        "open": Q(status__in=(Status.NEW, Status.OPEN)),
        "pending": Q(status__in=(Status.PENDING, Status.ON_HOLD)),
        "solved": Q(status__in=(Status.SOLVED, Status.CLOSED)),
        "all": Q(),
    }.get(view, Q(status__in=(Status.NEW, Status.OPEN)))


PREVIEW_CHARS = 200


def inbox_tickets(*, viewer: User, view: str = DEFAULT_VIEW, limit: int = 100) -> list[Ticket]:
    """One page of the inbox, newest activity first: two queries whatever the size."""
    latest_public = Message.objects.filter(ticket=OuterRef("pk"), internal=False).order_by(
        "-created_at", "-id"
    )
    return list(
        Ticket.objects.filter(_view_filter(view, viewer))
        .select_related("customer", "assignee", "team")
        .prefetch_related("tags")
        .annotate(
            message_count=Count("messages", filter=Q(messages__internal=False)),
            preview=Left(Subquery(latest_public.values("body_text")[:1]), PREVIEW_CHARS),
        )
        .order_by("-updated_at", "-id")[:limit]
    )


def inbox_counts(*, viewer: User) -> dict[str, int]:
    aggregates = {view.key: Count("pk", filter=_view_filter(view.key, viewer)) for view in INBOX_VIEWS}
    return Ticket.objects.aggregate(**aggregates)


def ticket_for_agent(*, ticket_id: int, viewer: User) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("customer__organization", "assignee", "team", "identity"),
        pk=ticket_id,
    )


def ticket_timeline(*, ticket: Ticket) -> QuerySet[Message]:
    return (
        ticket.messages.select_related("author", "identity", "delivery")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def customer_other_tickets(*, ticket: Ticket, limit: int = 10) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .order_by("-updated_at")[:limit]
    )


def assignable_agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=["admin", "manager", "agent"]).order_by(
        "name", "email"
    )


def teams() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def attachment_for_agent(*, attachment_id: int, viewer: User) -> Attachment:
    return get_object_or_404(Attachment.objects.select_related("message"), pk=attachment_id)


def tickets_for_api(
    *,
    viewer: User,
    status: str | None = None,
    channel: str | None = None,
    assignee: int | str | None = None,
    customer_id: int | None = None,
    updated_after: datetime | None = None,
) -> QuerySet[Ticket]:
    """The API's ticket list; `assignee` is a user id, "me" or "none". Two queries a page."""
    tickets = Ticket.objects.prefetch_related("tags")  # ids only otherwise: no joins needed
    if status:
        tickets = tickets.filter(status=status)
    if channel:
        tickets = tickets.filter(channel=channel)
    if assignee == "me":
        tickets = tickets.filter(assignee=viewer)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee is not None:
        tickets = tickets.filter(assignee_id=assignee)
    if customer_id is not None:
        tickets = tickets.filter(customer_id=customer_id)
    if updated_after is not None:
        tickets = tickets.filter(updated_at__gt=updated_after)
    return tickets
