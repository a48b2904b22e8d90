"""The ticket page's sidebar data: the customer card, the customer's other tickets and every
registered panel's data, read in one statement (tickets.panels.read_panels).

The sidebar is fetched right after every ticket page. It ran about sixteen queries, built by
the ORM on every request, and building them cost more CPU than the rest of the sidebar (about
2 ms a query on the bench machine). The customer card, the other tickets and the panels' data
are now parts of one SELECT compiled once per process (and per viewer shape, for the
permission filter on the other tickets), their ids bound on each request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db.models import DateTimeField
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from customers import selectors as customer_selectors
from customers.selectors.panel import CustomerPanel
from customers.selectors.rows import loader

from . import panels, selectors
from .access import sees_all
from .models import Ticket
from .ticket_page_queries import ShapeViewer

OTHER_TICKETS = 10
_OTHER_FIELDS = ("id", "subject", "status", "channel", "updated_at")
# Stand for the ids in the compiled ORM query (no row has a negative id).
_SENTINELS = {
    -7_654_321: panels.TICKET_ID,
    -7_654_322: panels.CUSTOMER_ID,
    -7_654_323: panels.VIEWER_ID,
}


@dataclass(frozen=True)
class SidebarData:
    customer_panel: CustomerPanel
    other_tickets: list[Ticket]
    panels: dict


def sidebar_data(*, ticket: Ticket, viewer) -> SidebarData:
    """Everything the sidebar shows for `ticket` and `viewer`: one query."""
    data, (card, others) = panels.read_panels(
        ticket, viewer=viewer, extra=(_customer_card_query(), _other_tickets_query(*_shape(viewer)))
    )
    return SidebarData(
        customer_panel=customer_selectors.customer_panel_from(card, ticket.customer),
        other_tickets=_other_tickets(others),
        panels=data,
    )


def _shape(viewer) -> tuple[str, bool]:
    return settings.TICKET_VISIBILITY, sees_all(viewer)


@cache
def _customer_card_query() -> panels.PanelQuery:
    return panels.PanelQuery(*customer_selectors.customer_panel_sql(panels.CUSTOMER_ID))


@cache
def _other_tickets_query(visibility: str, all_visible: bool) -> panels.PanelQuery:
    """`selectors.customer_other_tickets` for a viewer of this shape, compiled once: the ids
    are sentinels in the ORM's parameters, swapped for panel markers."""
    viewer = ShapeViewer(all_visible, -7_654_323)
    ticket = Ticket(pk=-7_654_321, customer_id=-7_654_322)
    rows = selectors.customer_other_tickets(ticket=ticket, viewer=viewer, limit=OTHER_TICKETS)
    sql, params = rows.values_list(*_OTHER_FIELDS).query.sql_with_params()
    columns = ", ".join(f"x.{field}" for field in _OTHER_FIELDS)
    return panels.PanelQuery(
        f"(SELECT jsonb_agg(jsonb_build_array({columns}) ORDER BY x.updated_at DESC) "  # noqa: S608 - compiled by the ORM, values bound
        f"FROM ({sql}) x)",
        _markers(params, 3 if not all_visible else 2),
    )


def _markers(params, expected: int) -> tuple:
    """The ORM's parameters with each sentinel id swapped for its panel marker."""
    swapped = tuple(_SENTINELS.get(p, p) if type(p) is int else p for p in params)
    if len({p for p in swapped if p in _SENTINELS.values()}) != expected:
        raise RuntimeError("the other tickets' query lost one of its ids")
    return swapped


def _other_tickets(data: list | None) -> list[Ticket]:
    build = loader(Ticket)
    updated = DateTimeField().to_python
    names = list(_OTHER_FIELDS)
    return [
        build(names, [pk, subject, status, channel, updated(when)])
        for pk, subject, status, channel, when in data or ()
    ]


def other_ticket_rows(tickets: list[Ticket]) -> SafeString:
    """The "Other tickets" `<li>` rows as the sidebar's template loop wrote them (a URL
    reversed, two choice labels and a naturaltime per row cost ~1 ms for ten rows)."""
    if not tickets:
        return mark_safe("")  # noqa: S308 - nothing
    href = reverse("tickets:detail", args=[_HREF_PK])
    statuses = dict(Ticket._meta.get_field("status").flatchoices)
    channels = dict(Ticket._meta.get_field("channel").flatchoices)
    rows = []
    for ticket in tickets:
        pk = int(ticket.pk)
        status = ticket.status
        rows.append(
            "\n        <li>\n"
            f'          <a href="{escape(href.replace(str(_HREF_PK), str(pk)))}">\n'
            f'            <span class="other-tickets__subject">{escape(ticket.subject)}</span>\n'
            f'            <span class="badge badge--{escape(status)}">'
            f"{escape(str(statuses.get(status, status)))}</span>\n"
            f'            <span class="other-tickets__meta">#{pk} · '
            f"{escape(str(channels.get(ticket.channel, ticket.channel)))} · "
            f"{escape(str(naturaltime(ticket.updated_at)))}</span>\n"
            "          </a>\n"
            "        </li>\n        "
        )
    return mark_safe("".join(rows))  # noqa: S308 - outside text escaped above


_HREF_PK = 987_654_321_987
