"""The first pages of the 360 page's longer lists, carried as JSON in the customer's row.

Notes, the newest conversations, the newest messages and the merge records used to be one
query each: four round trips and four ORM compilations per view, more of the page's time than
PostgreSQL spent answering them. Each is now a correlated subquery of the one customer query
(the same SQL shapes and indexes as before: see `c360.customer_messages_page` for why messages
are matched through `ticket_id = ANY(ARRAY(…))`), and comes back as the instances the ORM would
have loaded — with only the columns the page shows, the rest deferred — and their author,
assignee or ticket already attached, so templates read them without a query.

Only table and column names from model metadata are put into SQL; values travel as parameters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL

from helpdesk.models import User

from ..models import Customer, CustomerMerge, CustomerNote
from . import rows
from .rows import related_model

# A message body is shown clipped to 400 characters; one more says whether it was longer.
BODY_CHARS = 401
USER_FIELDS = ("id", "name", "email")
TICKET_FIELDS = ("id", "subject", "status", "channel", "updated_at", "assignee_id")
MESSAGE_FIELDS = (
    "id",
    "ticket_id",
    "author_kind",
    "author_id",
    "internal",
    "channel",
    "body_text",
    "created_at",
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: type[models.Model]) -> str:
    return _q(model._meta.db_table)


def _customer_id() -> str:
    return f"{_table(Customer)}.{_q('id')}"


def _object(
    model: type[models.Model], alias: str, names: tuple[str, ...] | None = None, **extra: str
) -> str:
    """`jsonb_build_object(...)` of some (or all) concrete columns plus `extra` SQL values."""
    parts = []
    for field in model._meta.concrete_fields:
        if names is not None and field.attname not in names:
            continue
        column = extra.pop(field.attname, f"{_q(alias)}.{_q(field.column)}")
        if isinstance(field, models.DecimalField):
            column += "::text"
        parts.append(f"'{field.attname}', {column}")
    parts += [f"'{key}', {sql}" for key, sql in extra.items()]
    return f"jsonb_build_object({', '.join(parts)})"


def _user(alias: str) -> str:
    """The user as a nested object, or JSON null when the row has none (outer join)."""
    return f"CASE WHEN {_q(alias)}.{_q('id')} IS NULL THEN NULL ELSE {_object(User, alias, USER_FIELDS)} END"


def notes_json(limit: int) -> RawSQL:
    """Notes with their author, pinned ones first, then newest."""
    return rows.json_list(
        f"SELECT jsonb_agg({_object(CustomerNote, 'n', author=_user('u'))} "  # noqa: S608 - names from models, values bound
        "ORDER BY n.pinned DESC, n.created_at DESC, n.id DESC) "
        f"FROM (SELECT * FROM {_table(CustomerNote)} WHERE customer_id = {_customer_id()} "
        "ORDER BY pinned DESC, created_at DESC, id DESC LIMIT %s) n "
        f"LEFT JOIN {_table(User)} u ON u.id = n.author_id",
        [limit],
    )


def merges_json(limit: int) -> RawSQL:
    """The latest merges into this customer, with who did them."""
    return rows.json_list(
        f"SELECT jsonb_agg({_object(CustomerMerge, 'm', actor=_user('u'))} "  # noqa: S608 - names from models, values bound
        "ORDER BY m.created_at DESC, m.id DESC) "
        f"FROM (SELECT * FROM {_table(CustomerMerge)} WHERE into_id = {_customer_id()} "
        "ORDER BY created_at DESC, id DESC LIMIT %s) m "
        f"LEFT JOIN {_table(User)} u ON u.id = m.actor_id",
        [limit],
    )


def tickets_json(limit: int) -> RawSQL:
    """Up to `limit` of the customer's tickets, latest activity first, with the assignee.
    Ask for one more than shown: its presence says there is a next page."""
    ticket = related_model(Customer, "tickets")
    return rows.json_list(
        f"SELECT jsonb_agg({_object(ticket, 't', TICKET_FIELDS, assignee=_user('u'))} "  # noqa: S608 - names from models, values bound
        "ORDER BY t.updated_at DESC, t.id DESC) "
        f"FROM (SELECT * FROM {_table(ticket)} WHERE customer_id = {_customer_id()} "
        "ORDER BY updated_at DESC, id DESC LIMIT %s) t "
        f"LEFT JOIN {_table(User)} u ON u.id = t.assignee_id",
        [limit],
    )


def messages_json(limit: int) -> RawSQL:
    """Up to `limit` of the customer's messages on every ticket, newest first, each with its
    ticket's subject and its author. The page's ids are picked from the narrow message index
    first, then only those rows are read and joined."""
    ticket = related_model(Customer, "tickets")
    message = related_model(ticket, "messages")
    body = f"left(m.{_q('body_text')}, {BODY_CHARS})"
    subject = f"jsonb_build_object('id', t.id, 'subject', t.{_q('subject')})"
    shown = _object(message, "m", MESSAGE_FIELDS, body_text=body, ticket=subject, author=_user("u"))
    return rows.json_list(
        f"SELECT jsonb_agg({shown} ORDER BY m.created_at DESC, m.id DESC) "  # noqa: S608 - names from models, values bound
        f"FROM (SELECT v.id FROM {_table(message)} v WHERE v.ticket_id = ANY(ARRAY("
        f"SELECT w.id FROM {_table(ticket)} w WHERE w.customer_id = {_customer_id()})) "
        "ORDER BY v.created_at DESC, v.id DESC LIMIT %s) p "
        f"JOIN {_table(message)} m ON m.id = p.id "
        f"JOIN {_table(ticket)} t ON t.id = m.ticket_id "
        f"LEFT JOIN {_table(User)} u ON u.id = m.author_id",
        [limit],
    )


# --- back to instances ----------------------------------------------------------------------
@cache
def _relations(model: type[models.Model]) -> dict[str, type[models.Model]]:
    return {
        field.name: field.related_model
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
    }


def instances(
    model: type[models.Model], data: list[dict] | None, _loaders: dict | None = None
) -> list[Any]:
    """Instances of `model` from objects built above: the columns present are loaded (the
    others deferred), and a nested object under a foreign key's name (`author`, `ticket` …)
    becomes that relation, already loaded (None stays None: no query either)."""
    loaders = {} if _loaders is None else _loaders
    relations = _relations(model)
    fields = model._meta.concrete_fields
    result = []
    for row in data or ():
        if model not in loaders:
            loaders[model] = rows.loader(model)
        names, values = [], []
        for field in fields:
            if field.attname in row:
                names.append(field.attname)
                values.append(rows._to_python(field, row[field.attname]))
        instance = loaders[model](names, values)
        for name, related in relations.items():
            if name in row:
                nested = row[name]
                instance._state.fields_cache[name] = (
                    None if nested is None else instances(related, [nested], loaders)[0]
                )
        result.append(instance)
    return result
