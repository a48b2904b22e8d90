"""Related rows carried as JSON inside one query, and turned back into model instances.

The customer pages need a dozen small lists (identities, latest orders with their items, the
lifetime value per currency, CSAT answers …). One query each would blow the page's query budget,
so PostgreSQL builds them as `jsonb` in correlated subqueries of a single row, and
`instances()` turns each JSON object back into the model instance Django would have loaded:
every concrete column is in the object and passes through its field's `to_python`, so no
attribute is deferred and templates use the instances as usual (`order.items.all` included).

Only table and column names from model metadata are put into SQL; values travel as parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import connection, models
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import JSONField
from django.db.models.signals import post_init, pre_init

ITEMS_KEY = "_items"  # children nested in a parent's object (an order's items)


def related_model(model: type[models.Model], name: str) -> Any:
    """The model behind a reverse relation, found by name: this app imports no other app."""
    return model._meta.get_field(name).related_model


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def json_object_sql(model: type[models.Model], alias: str) -> str:
    """`jsonb_build_object(...)` of every concrete column of `model` in the table aliased
    `alias`. Decimals travel as text: a JSON number would come back as a float."""
    parts = []
    for field in model._meta.concrete_fields:
        column = f"{_q(alias)}.{_q(field.column)}"
        if isinstance(field, models.DecimalField):
            column += "::text"
        parts.append(f"'{field.attname}', {column}")
    # jsonb_build_object takes at most 100 arguments; no model here comes close.
    return f"jsonb_build_object({', '.join(parts)})"


def json_list(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> RawSQL:
    """A correlated subquery returning a JSON array (never NULL), for `.annotate()`."""
    return RawSQL(f"COALESCE(({sql}), '[]'::jsonb)", tuple(params), output_field=JSONField())  # noqa: S611 - names from models, values bound


def json_value(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> RawSQL:
    return RawSQL(f"({sql})", tuple(params), output_field=JSONField())  # noqa: S611 - names from models, values bound


def instances(model: type[models.Model], rows: list[dict] | None) -> list[Any]:
    """Model instances from JSON objects built by `json_object_sql`, as if loaded by the ORM.

    A nested `_items` list (see `ITEMS_KEY`) becomes the prefetched `items` of the instance,
    so `order.items.all()` costs no query."""
    fields = [(f.attname, f) for f in model._meta.concrete_fields]
    names = [name for name, _f in fields]
    build = loader(model) if rows else None
    result = []
    for row in rows or ():
        values = [_to_python(field, row.get(name)) for name, field in fields]
        instance = build(names, values)
        if ITEMS_KEY in row:
            child = model._meta.get_field("items").related_model
            instance._prefetched_objects_cache = {"items": instances(child, row[ITEMS_KEY])}
        result.append(instance)
    return result


def loader(model: type[models.Model]) -> Callable[[list[str], list[Any]], Any]:
    """`build(names, values)`: what `model.from_db(alias, names, values)` returns — those
    columns loaded, any others deferred — made without `Model.__init__`, which walks every
    field of the model (~90 µs for a ticket, for a row that shows six of them). The attributes
    land where `__init__` puts them (`__dict__`, by attname) with the same `_state`. Only for
    models nobody watches being built: with a `pre_init`/`post_init` receiver (asked once per
    list, the question is not cheap) it is `from_db` itself."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return partial(model.from_db, connection.alias)
    alias = connection.alias

    def build(names: list[str], values: list[Any]) -> Any:
        instance = model.__new__(model)
        state = ModelState()
        state.adding = False
        state.db = alias
        instance._state = state
        instance.__dict__.update(zip(names, values, strict=True))
        return instance

    return build


def _to_python(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, JSONField):
        return value  # already decoded with the rest of the object
    return field.to_python(value)


def prepared_cursor():
    """A Django cursor (queries logged and counted as usual) whose statements PostgreSQL
    prepares once per connection. The page statements here and the ticket sidebar's have
    twenty-odd subqueries: planning one took 3-12 ms of the server's CPU on every request,
    more than running it; a pooled connection keeps the plan. Django's own cursors bind
    parameters on the client, so PostgreSQL can prepare nothing for them."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


class _PreparingCursor(ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)
