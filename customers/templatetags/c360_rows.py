"""The long lists of the customer 360 page, written in Python (see `customers.c360_html`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from customers import c360_html

register = template.Library()


@register.simple_tag
def c360_ticket_rows(rows: list[Any], next_cursor: str, customer_id: int) -> SafeString:
    return c360_html.ticket_rows(rows, next_cursor, customer_id)


@register.simple_tag
def c360_timeline_rows(rows: list[Any], next_cursor: str, customer_id: int) -> SafeString:
    return c360_html.timeline_rows(rows, next_cursor, customer_id)


@register.simple_tag
def c360_order_rows(orders: list[Any]) -> SafeString:
    return c360_html.order_rows(orders)


@register.simple_tag
def c360_csat_rows(responses: list[Any]) -> SafeString:
    return c360_html.csat_rows(responses)
