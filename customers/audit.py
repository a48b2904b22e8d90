"""The access audit: every staff read or change of a customer's personal data leaves a row.

Views and the API call `customer_access_record` after they have loaded (or changed) the data
(the ticket page, which shows the 360 panel, calls `customer_access_record_from_ticket`);
admins search the log through `customer_access_log`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from helpdesk.models import User

from .models import AccessAction, Customer, CustomerAccess


def customer_access_record(
    *,
    actor: User,
    action: AccessAction | str,
    customer_id: int | None = None,
    ip: str | None = None,
    detail: dict | None = None,
) -> CustomerAccess:
    """Write one audit row. `customer_id` is None only for actions on many customers (import)."""
    return CustomerAccess.objects.create(
        actor=actor, action=action, customer_id=customer_id, ip=ip or None, detail=detail or {}
    )


@cache
def _insert_sql() -> str:
    meta = CustomerAccess._meta
    names = ("customer_id", "actor_id", "action", "at", "ip", "detail")
    columns = ", ".join(connection.ops.quote_name(meta.get_field(n).column) for n in names)
    table = connection.ops.quote_name(meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608 - names from the model, values bound


def customer_access_view(*, request: HttpRequest, customer_id: int, **detail) -> None:
    """Record a staff member's view of a customer's page (or of a further page of one of its
    lists): the row `customer_access_record` writes, as one plain INSERT. The 360 page is
    opened all day long and needs nothing back, so it skips building a model instance."""
    values = [
        customer_id,
        request.user.pk,
        AccessAction.VIEW.value,
        timezone.now(),
        request_ip(request),
        json.dumps(detail),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(), values)


# The ticket page re-renders often (reloads, live updates, switching tabs back): one row per
# agent, customer and ticket in this window says everything the log needs and keeps real
# reads from drowning in copies.
TICKET_VIEW_WINDOW = timedelta(minutes=10)


def customer_access_record_from_ticket(
    *, request: HttpRequest, customer_id: int | None, ticket_id: int
) -> CustomerAccess | None:
    """The ticket page shows the customer's 360 panel: a staff read of personal data.

    Called by the ticket page after it has loaded the ticket. Returns the new row, or None
    when the same agent already has one for this customer and ticket within
    TICKET_VIEW_WINDOW (or the ticket has no customer).
    """
    if customer_id is None:
        return None
    recent = CustomerAccess.objects.filter(
        actor=request.user,
        customer_id=customer_id,
        action=AccessAction.VIEW,
        detail__ticket=ticket_id,
        at__gte=timezone.now() - TICKET_VIEW_WINDOW,
    )
    if recent.exists():
        return None
    return customer_access_record(
        actor=request.user,
        action=AccessAction.VIEW,
        customer_id=customer_id,
        ip=request_ip(request),
        detail={"via": "ticket", "ticket": ticket_id},
    )


def request_ip(request: HttpRequest) -> str | None:
    """The peer address. X-Forwarded-For is not trusted: anyone can send it, and an audit
    log that records what the client claims proves nothing."""
    return request.META.get("REMOTE_ADDR") or None


@dataclass(frozen=True)
class AccessFilter:
    customer_id: int | None = None
    actor_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def customer_access_log(*, filters: AccessFilter) -> QuerySet[CustomerAccess]:
    """Newest first. Dates are whole days in the viewer's active time zone, both inclusive."""
    entries = CustomerAccess.objects.select_related("actor")
    if filters.customer_id:
        entries = entries.filter(customer_id=filters.customer_id)
    if filters.actor_id:
        entries = entries.filter(actor_id=filters.actor_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.date_from:
        entries = entries.filter(at__gte=_start_of(filters.date_from))
    if filters.date_to:
        entries = entries.filter(at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return entries.order_by("-at", "-id")


def customers_by_id(entries: list[CustomerAccess]) -> dict[int, Customer]:
    """The customers a page of log entries names, in one query (merged or erased ones are
    simply missing: the log keeps their number)."""
    ids = {entry.customer_id for entry in entries if entry.customer_id}
    return Customer.objects.in_bulk(ids) if ids else {}


def audit_actors() -> QuerySet[User]:
    """Staff who appear in the log, for the filter's choices."""
    actor_ids = CustomerAccess.objects.values("actor_id").distinct()
    return User.objects.filter(pk__in=actor_ids).order_by("name", "email")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
