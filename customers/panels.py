"""The "order this ticket is about" panel for the ticket page.

Registered by the tickets app (`tickets.panels.register_panel`) — customers imports no other
app, so the ticket arrives here as any object with `pk` and `customer`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from . import selectors


def render_order_panel(request: HttpRequest, ticket: Any) -> str:
    customer = ticket.customer
    orders = selectors.orders_to_pick(customer=customer)
    linked = selectors.ticket_order(ticket_id=ticket.pk)
    if not orders and linked is None:
        return ""
    return render_to_string(
        "customers/_ticket_order.html",
        {
            "ticket_id": ticket.pk,
            "orders": orders,
            "linked": linked,
            "next": request.get_full_path(),
        },
        request=request,
    )
