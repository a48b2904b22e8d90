"""The "order this ticket is about" panel for the ticket page (one query, or a part of the
sidebar's single panel query: `selectors.order_picker_sql`).

Registered by the tickets app (`tickets.panels.register_panel`) — customers imports no other
app, so the ticket arrives here as any object with `pk` and `customer`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from . import selectors

_NOT_READ: Any = object()


def render_order_panel(request: HttpRequest, ticket: Any, data: Any = _NOT_READ) -> str:
    """`data` is `order_picker_sql`'s value when the sidebar read it with the other panels'."""
    if data is _NOT_READ:
        picker = selectors.order_picker(ticket_id=ticket.pk, customer=ticket.customer)
    else:
        picker = selectors.order_picker_from(data)
    if not picker.orders and picker.linked is None:
        return ""
    return render_to_string(
        "customers/_ticket_order.html",
        {
            "ticket_id": ticket.pk,
            "orders": picker.orders,
            "linked": picker.linked,
            "next": request.get_full_path(),
        },
        request=request,
    )
