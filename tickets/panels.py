"""Side panels other apps add to the agent's ticket page without `tickets` importing them.

An app registers a renderer in its AppConfig.ready(); the ticket page shows each panel's HTML
(rendered from the app's own template, so it is escaped there) in the sidebar, in `order`.
A renderer returns "" when it has nothing to show for this ticket.

A panel may also declare the data it shows as one SQL expression (`query`): the sidebar then
reads every panel's data in a single statement, compiled once per process, and hands each
renderer its own value (`render(request, ticket, data)`). Each panel used to run two to five
ORM queries of its own, and building them cost more CPU than anything else in the sidebar
(about 2 ms a query on the bench machine, for lookups PostgreSQL answers in a tenth of that).
A renderer called on its own (an htmx swap after a change) reads its data with `panel_data`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.utils.safestring import SafeString, mark_safe

from customers.selectors import rows as _rows
from customers.selectors.rows import prepared_cursor

if TYPE_CHECKING:
    from django.db import models
    from django.http import HttpRequest

    from .models import Ticket

PanelRenderer = Callable[..., str]


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<panel parameter {self.name}>"


# Stand-ins for the ticket's id, its customer's id, the viewer's id and the ticket's channel in
# a PanelQuery's parameters.
TICKET_ID = _Marker("ticket id")
CUSTOMER_ID = _Marker("customer id")
VIEWER_ID = _Marker("viewer id")
TICKET_CHANNEL = _Marker("ticket channel")


# A renderer's default for `data`: called on its own, it reads its data with `panel_data`.
NOT_READ: Any = _Marker("not read")


@dataclass(frozen=True)
class PanelQuery:
    """A scalar SQL expression (a parenthesised subquery) giving the panel's data for one
    ticket, usually as jsonb; `params` may hold TICKET_ID and CUSTOMER_ID. Only table and
    column names from model metadata may be put into `sql`: values travel as parameters."""

    sql: str
    params: tuple = ()


@dataclass(frozen=True)
class _Panel:
    name: str
    order: int
    render: PanelRenderer
    query: Callable[[], PanelQuery] | None = None


_panels: dict[str, _Panel] = {}


def register_panel(
    name: str,
    render: PanelRenderer,
    *,
    order: int = 100,
    query: Callable[[], PanelQuery] | None = None,
) -> None:
    """`query` (called once, when first needed) makes the renderer `render(request, ticket,
    data)`, `data` being the query's value for the ticket (jsonb decoded)."""
    _panels[name] = _Panel(name, order, render, query)


def render_panels(
    request: HttpRequest, ticket: Ticket, data: dict[str, Any] | None = None
) -> list[SafeString]:
    """Every panel's HTML in order; `data` is what `read_panels` returned for this ticket."""
    panels = sorted(_panels.values(), key=lambda panel: (panel.order, panel.name))
    if data is None:
        data, _extra = read_panels(ticket, viewer=request.user)
    html = (
        panel.render(request, ticket, data[panel.name])
        if panel.query
        else panel.render(request, ticket)
        for panel in panels
    )
    # Each renderer returns the output of render_to_string: already escaped by its template.
    return [mark_safe(part) for part in html if part]  # noqa: S308


def read_panels(
    ticket: Ticket, *, viewer, extra: tuple[PanelQuery, ...] = ()
) -> tuple[dict[str, Any], list[Any]]:
    """Every panel's data for `ticket`, and the values of the page's own `extra` queries (the
    sidebar's customer card and other tickets): one statement, compiled once per process and
    set of queries."""
    named = _query_panels()
    queries = (*(_panel_query(panel.query) for panel in named), *extra)
    if not queries:
        return {}, []
    sql, params = _compiled(queries)
    values = _run(sql, params, ticket, viewer)
    return dict(zip([panel.name for panel in named], values, strict=False)), values[len(named) :]


def panel_data(query: Callable[[], PanelQuery], ticket: Ticket, viewer=None) -> Any:
    """One panel's data alone (what read_panels reads for all of them at once)."""
    sql, params = _compiled((_panel_query(query),))
    return _run(sql, params, ticket, viewer)[0]


@cache
def _panel_query(query: Callable[[], PanelQuery]) -> PanelQuery:
    return query()


def _query_panels() -> list[_Panel]:
    return sorted((p for p in _panels.values() if p.query), key=lambda p: p.name)


@cache
def _compiled(queries: tuple[PanelQuery, ...]) -> tuple[str, tuple]:
    sql = "SELECT " + ", ".join(query.sql for query in queries)
    return sql, tuple(param for query in queries for param in query.params)


def _run(sql: str, params: Iterable, ticket: Ticket, viewer) -> list[Any]:
    known = {
        TICKET_ID: ticket.pk,
        CUSTOMER_ID: ticket.customer_id,
        VIEWER_ID: viewer and viewer.pk,
        TICKET_CHANNEL: ticket.channel,
    }
    values = [known[p] if isinstance(p, _Marker) else p for p in params]
    with prepared_cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    # Django has psycopg hand jsonb over as text (its JSONField decodes it itself).
    return [json.loads(value) if isinstance(value, str) else value for value in row]


# --- turning a panel's JSON back into model instances -----------------------------------------
json_object_sql = _rows.json_object_sql


def instances(model: type[models.Model], data: list[dict] | None, **related: Any) -> list[Any]:
    """Model instances from objects built with `json_object_sql`, as the ORM would load them.
    `related={"author": User}` turns the object's nested `"author"` object (or null) into the
    instance's cached relation, as select_related() leaves it: no query when it is read."""
    result = _rows.instances(model, data)
    for instance, row in zip(result, data or (), strict=True):
        for name, related_model in related.items():
            found = row.get(name)
            instance._state.fields_cache[name] = (
                instances(related_model, [found])[0] if found is not None else None
            )
    return result
