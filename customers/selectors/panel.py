"""What the ticket page shows about its customer beside the conversation, and order facts for
tickets and macros. The ticket page is opened all day long: each panel is one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ..models import Customer, CustomerNote, Identity, Order, TicketOrder
from ..templatetags.customers_tags import money
from . import rows
from .lists import (
    LifetimeValue,
    identities_json,
    lifetime_value_json,
    lifetime_values,
    orders_json,
)
from .lists import recent_orders_json as _orders_json

PANEL_ORDERS = 3
PANEL_PINNED_NOTES = 5
ORDERS_TO_PICK = 50


@dataclass(frozen=True)
class CustomerPanel:
    """What the ticket page shows about its customer, beside the conversation."""

    pinned_notes: list[CustomerNote]
    recent_orders: list[Order]
    lifetime_value: list[LifetimeValue]
    order_count: int
    identities: list[Identity]


def _pinned_notes_json(limit: int) -> rows.RawSQL:
    table = CustomerNote._meta.db_table
    return rows.json_list(
        f"SELECT jsonb_agg({rows.json_object_sql(CustomerNote, 'n')} "  # noqa: S608 - names from models, values bound
        "ORDER BY n.created_at DESC, n.id DESC) "
        f'FROM (SELECT * FROM "{table}" WHERE customer_id = "{Customer._meta.db_table}"."id" '
        "AND pinned ORDER BY created_at DESC, id DESC LIMIT %s) n",
        [limit],
    )


def customer_panel(*, customer: Customer) -> CustomerPanel:
    """Pinned notes, the latest orders with items, the lifetime value and the identities: one
    query, whatever the customer's history. The identities also fill
    `customer.identities.all()`, so a template reading the relation costs nothing more."""
    data = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            pinned_json=_pinned_notes_json(PANEL_PINNED_NOTES),
            orders_json=_orders_json(PANEL_ORDERS),
            ltv_json=lifetime_value_json(),
            identities_json=identities_json(),
        )
        .values("pinned_json", "orders_json", "ltv_json", "identities_json")
        .first()
    ) or {"pinned_json": [], "orders_json": [], "ltv_json": [], "identities_json": []}
    return _panel(customer, data)


def _panel(customer: Customer | None, data: dict) -> CustomerPanel:
    value = lifetime_values(data["ltv_json"])
    identities = rows.instances(Identity, data["identities_json"])
    if customer is not None and customer.pk:
        customer._prefetched_objects_cache = {
            **getattr(customer, "_prefetched_objects_cache", {}),
            "identities": identities,
        }
    return CustomerPanel(
        pinned_notes=rows.instances(CustomerNote, data["pinned_json"]),
        recent_orders=rows.instances(Order, data["orders_json"]),
        lifetime_value=value,
        order_count=sum(v.orders for v in value),
        identities=identities,
    )


def customer_panel_sql(customer_param: Any) -> tuple[str, tuple]:
    """`customer_panel`'s query as one scalar SQL expression (jsonb) and its parameters, for
    the ticket sidebar's single statement (tickets.panels); `customer_param` stands for the
    customer's id there. Its value goes to `customer_panel_from`."""
    parts = (
        _pinned_notes_json(PANEL_PINNED_NOTES),
        _orders_json(PANEL_ORDERS),
        lifetime_value_json(),
        identities_json(),
    )
    table = Customer._meta.db_table
    sql = (
        f"(SELECT jsonb_build_array({', '.join(part.sql for part in parts)}) "  # noqa: S608 - names from models, values bound
        f'FROM "{table}" WHERE "{table}"."id" = %s)'
    )
    return sql, (*(param for part in parts for param in part.params), customer_param)


def customer_panel_from(data: list | None, customer: Customer | None) -> CustomerPanel:
    """The CustomerPanel of `customer_panel_sql`'s value (None: no customer)."""
    pinned, orders, ltv, identities = data or ([], [], [], [])
    return _panel(
        customer,
        {
            "pinned_json": pinned,
            "orders_json": orders,
            "ltv_json": ltv,
            "identities_json": identities,
        },
    )


@dataclass(frozen=True)
class OrderPicker:
    """The ticket page's "this is about order …" panel: the linked order and the choices."""

    linked: Order | None
    orders: list[Order]


def _linked_order_json(ticket_id: int) -> rows.RawSQL:
    link = TicketOrder._meta.db_table
    return orders_json(
        f'"{Order._meta.db_table}" o JOIN "{link}" l ON l.order_id = o.id WHERE l.ticket_id = %s',
        [ticket_id],
    )


def _orders_to_pick_json(limit: int) -> rows.RawSQL:
    order = Order._meta.db_table
    return rows.json_list(
        f"SELECT jsonb_agg({rows.json_object_sql(Order, 'o')} "  # noqa: S608 - names from models, values bound
        "ORDER BY o.ordered_at DESC, o.id DESC) "
        f'FROM (SELECT * FROM "{order}" WHERE customer_id = "{Customer._meta.db_table}"."id" '
        "ORDER BY ordered_at DESC, id DESC LIMIT %s) o",
        [limit],
    )


def order_picker(*, ticket_id: int, customer: Customer) -> OrderPicker:
    """The order linked to the ticket (with items) and the customer's latest orders: one query."""
    data = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            linked_json=_linked_order_json(ticket_id),
            orders_json=_orders_to_pick_json(ORDERS_TO_PICK),
        )
        .values("linked_json", "orders_json")
        .first()
    ) or {"linked_json": [], "orders_json": []}
    linked = rows.instances(Order, data["linked_json"])
    return OrderPicker(
        linked=linked[0] if linked else None, orders=rows.instances(Order, data["orders_json"])
    )


def order_picker_sql(ticket_param: Any, customer_param: Any) -> tuple[str, tuple]:
    """`order_picker`'s data as one scalar SQL expression and its parameters, for the ticket
    sidebar's single panel query (tickets.panels); `ticket_param` and `customer_param` stand
    for the ids there. Its value goes to `order_picker_from`."""
    linked = _linked_order_json(ticket_param)
    orders = _orders_to_pick_json(ORDERS_TO_PICK)
    table = Customer._meta.db_table
    sql = (
        f"(SELECT jsonb_build_array({linked.sql}, {orders.sql}) "  # noqa: S608 - names from models, values bound
        f'FROM "{table}" WHERE "{table}"."id" = %s)'
    )
    return sql, (*linked.params, *orders.params, customer_param)


def order_picker_from(data: list | None) -> OrderPicker:
    linked_json, orders_json = data or ([], [])
    linked = rows.instances(Order, linked_json)
    return OrderPicker(
        linked=linked[0] if linked else None, orders=rows.instances(Order, orders_json)
    )


def ticket_order(*, ticket_id: int) -> Order | None:
    """The order an agent linked to this ticket, with its items."""
    link = (
        TicketOrder.objects.filter(ticket_id=ticket_id)
        .select_related("order")
        .prefetch_related("order__items")
        .first()
    )
    return link.order if link else None


def orders_to_pick(*, customer: Customer) -> list[Order]:
    """The customer's latest orders, for the ticket page's "this is about order …" picker."""
    return list(customer.orders.order_by("-ordered_at", "-id")[:ORDERS_TO_PICK])


def order_placeholders(customer: Customer, order: Order | None = None) -> dict[str, str]:
    """Order facts for macros: `{{order.number}}`, status, tracking, carrier, total …

    `order` is the one linked to the ticket when there is one; else the customer's latest.
    Every key is always present ("" when unknown), so a macro never shows a raw placeholder.
    """
    if order is None:
        order = customer.orders.order_by("-ordered_at", "-id").first() if customer.pk else None
    if order is None:
        keys = (
            "number",
            "status",
            "shipping_status",
            "tracking",
            "tracking_url",
            "carrier",
            "total",
            "date",
        )
        return dict.fromkeys(keys, "")
    return {
        "number": order.number,
        "status": order.status,
        "shipping_status": order.shipping_status,
        "tracking": order.tracking_number,
        "tracking_url": order.tracking_url,
        "carrier": order.carrier,
        "total": money(order.total, order.currency),
        "date": timezone.localtime(order.ordered_at).date().isoformat(),
    }
