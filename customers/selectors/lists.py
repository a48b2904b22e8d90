"""The small lists the customer row carries as JSON (see `rows`): identities, the latest
orders with their items, the lifetime value per currency, the ticket count, CSAT answers and
the custom field definitions. Each is a correlated subquery on `customers_customer.id`, so
they only go into `.annotate()` of a query whose base table is the customer's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL

from ..models import Customer, CustomField, Identity, Order, OrderItem
from . import rows
from .rows import related_model


@dataclass(frozen=True)
class LifetimeValue:
    currency: str
    total: Decimal
    orders: int


@dataclass(frozen=True)
class CsatHistory:
    responses: list[Any]  # rows with rating, is_good, scale, comment, ticket_id, created_at
    total: int
    good: int

    @property
    def good_percent(self) -> int:
        return round(100 * self.good / self.total) if self.total else 0


def _csat_model():
    try:
        return related_model(Customer, "csat_responses")
    except FieldDoesNotExist:  # no app keeps CSAT answers
        return None


# --- the JSON lists the customer row carries ------------------------------------------------
def _customer_column() -> str:
    return f'"{Customer._meta.db_table}"."id"'


def lifetime_value_json() -> RawSQL:
    """[{currency, total, orders}] per currency: yen and dollars never add up."""
    order = Order._meta.db_table
    return rows.json_list(
        "SELECT jsonb_agg(jsonb_build_object("  # noqa: S608 - names from models, values bound
        "'currency', v.currency, 'total', v.total::text, 'orders', v.n) ORDER BY v.currency) "
        f'FROM (SELECT o.currency, SUM(o.total) AS total, COUNT(*) AS n FROM "{order}" o '
        f"WHERE o.customer_id = {_customer_column()} GROUP BY o.currency) v"
    )


def identities_json() -> RawSQL:
    table = Identity._meta.db_table
    return rows.json_list(
        f"SELECT jsonb_agg({rows.json_object_sql(Identity, 'i')} ORDER BY i.kind, i.handle) "  # noqa: S608 - names from models, values bound
        f'FROM "{table}" i WHERE i.customer_id = {_customer_column()}'
    )


def orders_json(source: str, params: list[Any], order_by: str = "o.ordered_at DESC, o.id DESC"):
    """Orders as JSON, each with its items nested; `source` is a FROM item aliased `o`."""
    item = OrderItem._meta.db_table
    items = (
        f"(SELECT COALESCE(jsonb_agg({rows.json_object_sql(OrderItem, 'it')} ORDER BY it.id), "  # noqa: S608 - names from models, values bound
        f"'[]'::jsonb) FROM \"{item}\" it WHERE it.order_id = o.id)"
    )
    return rows.json_list(
        f"SELECT jsonb_agg({rows.json_object_sql(Order, 'o')} || "  # noqa: S608 - names from models, values bound
        f"jsonb_build_object('{rows.ITEMS_KEY}', {items}) ORDER BY {order_by}) FROM {source}",
        params,
    )


def recent_orders_json(limit: int) -> RawSQL:
    """The latest orders with their items (the `order_customer_recent` index)."""
    return orders_json(
        f'(SELECT * FROM "{Order._meta.db_table}" WHERE customer_id = {_customer_column()} '  # noqa: S608 - names from models, values bound
        "ORDER BY ordered_at DESC, id DESC LIMIT %s) o",
        [limit],
    )


def ticket_count_sql() -> RawSQL:
    tickets = related_model(Customer, "tickets")
    column = tickets._meta.get_field("customer").column
    return RawSQL(  # noqa: S611 - names from models, values bound
        f'SELECT COUNT(*) FROM "{tickets._meta.db_table}" t '  # noqa: S608 - names from models, values bound
        f'WHERE t."{column}" = {_customer_column()}',
        (),
        output_field=IntegerField(),
    )


def csat_json(limit: int) -> RawSQL | None:
    """{total, good, latest: [...]} of the customer's CSAT answers, or None without the app."""
    model = _csat_model()
    if model is None:
        return None
    table = model._meta.db_table
    return rows.json_value(
        "SELECT jsonb_build_object('total', COUNT(*), 'good', COUNT(*) FILTER (WHERE r.is_good), "  # noqa: S608 - names from models, values bound
        f"'latest', COALESCE((SELECT jsonb_agg({rows.json_object_sql(model, 'l')} "
        "ORDER BY l.created_at DESC, l.id DESC) "
        f'FROM (SELECT * FROM "{table}" WHERE customer_id = {_customer_column()} '
        "ORDER BY created_at DESC, id DESC LIMIT %s) l), '[]'::jsonb)) "
        f'FROM "{table}" r WHERE r.customer_id = {_customer_column()}',
        [limit],
    )


def custom_fields_json() -> RawSQL:
    """The active custom field definitions (a handful): the same for every customer."""
    table = CustomField._meta.db_table
    return rows.json_list(
        f"SELECT jsonb_agg({rows.json_object_sql(CustomField, 'f')} ORDER BY f.position, f.id) "  # noqa: S608 - names from models, values bound
        f'FROM "{table}" f WHERE f.active'
    )


def lifetime_values(data: list[dict]) -> list[LifetimeValue]:
    return [LifetimeValue(v["currency"], Decimal(v["total"]), v["orders"]) for v in data]


def csat_history_from(data: dict | None) -> CsatHistory | None:
    model = _csat_model()
    if model is None or data is None:
        return None
    return CsatHistory(
        responses=rows.instances(model, data["latest"]), total=data["total"], good=data["good"]
    )
