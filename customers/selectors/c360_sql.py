"""The two statements of the customer 360 page, written once per process and then only run.

Building the page's customer query through the ORM (ten correlated JSON subqueries as
`RawSQL` annotations, `select_related`) cost more CPU per view than PostgreSQL spent running
it, and the probable-duplicates query (a UNION inside `pk__in`, an `ArraySubquery`) as much
again. Their SQL never changes between customers: only the customer's id and contact points
do, and those travel as parameters. So the text is composed once from model metadata (the same
subqueries as `lists` and `c360_json`) and each view only executes it and turns the row into
the `Customer` instance the ORM would have loaded (its field converters applied).

Both statements go through Django's cursor, so query logging and counting see them as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from ..models import Customer, Identity, IdentityKind, Organization
from . import c360_json, rows
from .lists import (
    csat_json,
    custom_fields_json,
    identities_json,
    lifetime_value_json,
    recent_orders_json,
    ticket_count_sql,
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _customer_columns() -> tuple[str, list[str], list[tuple[int, list]]]:
    """The select list of every concrete column, their attnames, and the converters the ORM
    applies to a column as it loads it (e.g. JSONField's decoding), by position."""
    table = _q(Customer._meta.db_table)
    fields = Customer._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(Customer._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, [(conv, column) for conv in found]))
    select = ", ".join(f"{table}.{_q(f.column)}" for f in fields)
    return select, [f.attname for f in fields], converters


def _customer(values: Sequence[Any]) -> Customer:
    """The Customer the ORM would build from this row's leading columns."""
    _select, names, converters = _customer_columns()
    values = list(values[: len(names)])
    for index, convs in converters:
        for conv, column in convs:
            values[index] = conv(values[index], column, connection)
    return rows.loader(Customer)(names, values)


# --- the page's customer row ----------------------------------------------------------------
@cache
def _page_statement(
    limits: tuple[int, int, int, int, int, int],
) -> tuple[str, tuple[Any, ...], tuple[str, ...]]:
    """The customer row with its organization and every JSON list of the page: SQL, the
    fixed parameters (limits) that precede the customer's id, and the extra column names."""
    orders, notes, tickets, messages, merges, csat_limit = limits
    table = _q(Customer._meta.db_table)
    organization = (
        f"(SELECT {rows.json_object_sql(Organization, 'og')} "  # noqa: S608 - names from models
        f"FROM {_q(Organization._meta.db_table)} og WHERE og.id = {table}.organization_id)"
    )
    extra: dict[str, RawSQL | str] = {
        "organization_json": organization,
        "ltv_json": lifetime_value_json(),
        "identities_json": identities_json(),
        "orders_json": recent_orders_json(orders),
        "ticket_total": ticket_count_sql(),
        "fields_json": custom_fields_json(),
        "notes_json": c360_json.notes_json(notes),
        "tickets_json": c360_json.tickets_json(tickets),
        "messages_json": c360_json.messages_json(messages),
        "merges_json": c360_json.merges_json(merges),
    }
    csat = csat_json(csat_limit)
    if csat is not None:
        extra["csat_json"] = csat
    parts, params = [], []
    for name, expression in extra.items():
        if isinstance(expression, RawSQL):
            parts.append(f"({expression.sql}) AS {_q(name)}")
            params.extend(expression.params)
        else:
            parts.append(f"{expression} AS {_q(name)}")
    select, _names, _converters = _customer_columns()
    sql = f"SELECT {select}, {', '.join(parts)} FROM {table} WHERE {table}.{_q('id')} = %s"  # noqa: S608 - names from models, values bound
    return sql, tuple(params), tuple(extra)


def customer_page_row(customer_id: int, limits: tuple[int, ...]) -> Customer | None:
    """The customer with its organization attached and each JSON list decoded into an
    attribute of the same name (`notes_json`, `tickets_json` …; `csat_json` only when an app
    keeps CSAT answers), in one statement; None when there is no such customer."""
    sql, params, names = _page_statement(tuple(limits))
    # Prepared: planning its twenty subqueries cost PostgreSQL more than running them.
    with rows.prepared_cursor() as cursor:
        cursor.execute(sql, [*params, customer_id])
        row = cursor.fetchone()
    if row is None:
        return None
    customer = _customer(row)
    extra = dict(zip(names, row[len(row) - len(names) :], strict=True))
    for name, value in extra.items():
        setattr(customer, name, json.loads(value) if isinstance(value, str) else value)
    organization = customer.organization_json
    customer._state.fields_cache["organization"] = (
        rows.instances(Organization, [organization])[0] if organization else None
    )
    return customer


# --- probable duplicates --------------------------------------------------------------------
@cache
def _duplicates_statement() -> str:
    table = _q(Customer._meta.db_table)
    identity = _q(Identity._meta.db_table)
    select, _names, _converters = _customer_columns()
    # One id list from index lookups, UNIONed: an OR of the subquery and the profile columns
    # makes PostgreSQL scan every customer (see `profiles._duplicate_match`).
    return (
        f"SELECT {select}, ARRAY(SELECT DISTINCT k.kind FROM {identity} k "  # noqa: S608 - names from models, values bound
        f"WHERE k.customer_id = {table}.id ORDER BY k.kind) "
        f"FROM {table} WHERE {table}.id IN ("
        f"SELECT i.customer_id FROM {identity} i WHERE (i.kind = %s AND i.handle = ANY(%s)) "
        "OR (i.kind = ANY(%s) AND i.handle = ANY(%s)) "
        f"UNION SELECT p.id FROM {table} p WHERE p.email = ANY(%s) OR p.phone = ANY(%s)) "
        f"AND {table}.id <> %s ORDER BY {table}.created_at DESC, {table}.id DESC LIMIT %s"
    )


def duplicates(
    *,
    customer_id: int,
    addresses: Iterable[str],
    phones: Iterable[str],
    phone_kinds: Iterable[str],
    limit: int,
) -> list[Customer]:
    """Other customers whose profile or identities share one of these email addresses or
    phone numbers, newest first, each with `channels`: (kind, label) of their identities."""
    addresses, phones = sorted(addresses), sorted(phones)
    params = [
        IdentityKind.EMAIL.value,
        addresses,
        sorted(str(kind) for kind in phone_kinds),
        phones,
        addresses,
        phones,
        customer_id,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_duplicates_statement(), params)
        found = cursor.fetchall()
    labels = dict(IdentityKind.choices)
    result = []
    for row in found:
        other = _customer(row)
        other.channels = [(kind, labels.get(kind, kind)) for kind in row[-1] or ()]
        result.append(other)
    return result
