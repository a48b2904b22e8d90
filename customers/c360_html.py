"""The long lists of the customer 360 page as HTML, written in Python rather than by templates.

The page shows up to 20 conversations, 20 messages, 10 orders with their items and 10 CSAT
answers: through `{% for %}` loops that is well over a thousand variable lookups, autoescapes,
date formats and relative times per view, most of the page's own time. Here each row is one
f-string. Every value that comes from outside (subjects, bodies, names, order and item text,
tracking links, comments) goes through `escape()` — the same escaping the templates applied —
and the rest are our own ints, enum values and fixed class names. The markup is the one the
row templates had (tests, htmx "show more" and the stylesheet read its classes).

A relative time or a date is formatted once per distinct moment in a list: imported histories
often share one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .templatetags.customers_tags import (
    _choices,
    channel_badge,
    clip,
    icon,
    money,
    ticket_href,
)


def _memo(format_one: Callable[[Any], str]) -> Callable[[Any], str]:
    """`format_one` once per distinct value (within one list: relative times move on)."""
    seen: dict[Any, str] = {}

    def formatted(value: Any) -> str:
        if value not in seen:
            seen[value] = format_one(value)
        return seen[value]

    return formatted


def _local_date(format_name: str) -> Callable[[datetime | None], str]:
    """`{{ value|date:format_name }}`: the template converts to the viewer's zone first."""

    def formatted(value: datetime | None) -> str:
        if value is None:
            return ""
        return formats.date_format(timezone.localtime(value), format_name)

    return _memo(formatted)


class _Times:
    """`<time>` elements of one list: the machine time, the exact time in the viewer's zone
    on hover (`exact_time`) and the relative one (`naturaltime`), each worked out once per
    distinct moment, with the zone looked up once."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.seen: dict[datetime | None, str] = {}

    def html(self, moment: datetime | None) -> str:
        if moment not in self.seen:
            exact = moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if moment else ""
            iso = moment.isoformat() if moment else ""
            self.seen[moment] = (
                f'<time datetime="{escape(iso)}" title="{escape(exact)}">'
                f"{escape(str(naturaltime(moment)))}</time>"
            )
        return self.seen[moment]


def _more_row(customer_id: int, part: str, next_cursor: str, label: str) -> str:
    if not next_cursor:
        return ""
    href = escape(
        f"{reverse('customers:more', args=[customer_id, part])}?before={quote(next_cursor)}"
    )
    return (
        '\n    <li class="c360-more-row">\n'
        f'      <a class="btn btn--sm c360-more-btn" href="{href}"\n'
        f'         hx-get="{href}" hx-target="closest li" hx-swap="outerHTML">'
        f"{escape(label)}</a>\n    </li>"
    )


def ticket_rows(rows: Iterable[Any], next_cursor: str, customer_id: int) -> SafeString:
    """The conversations list (`<li>` rows for `<ol class="c360-tickets">`), newest first,
    with the "show older" row when there is a next page."""
    times = _Times()
    parts = []
    for ticket in rows:
        pk = int(ticket.pk)
        model = type(ticket)
        status = ticket.status
        status_label = _choices(model, "status").get(status, status)
        channel_label = _choices(model, "channel").get(ticket.channel, ticket.channel)
        assignee = ticket.assignee
        who = f" · {escape(assignee.display_name)}" if assignee is not None else ""
        parts.append(
            "\n    <li>\n"
            f'      <a href="{ticket_href(pk)}" class="c360-ticket">\n'
            f"        {channel_badge(ticket)}\n"
            f'        <span class="c360-ticket__subject">{escape(ticket.subject)}</span>\n'
            f'        <span class="badge badge--{escape(status)}">{escape(str(status_label))}'
            "</span>\n"
            f'        <span class="c360-ticket__meta">#{pk} · {escape(str(channel_label))}{who} · '
            f"{times.html(ticket.updated_at)}</span>\n"
            "      </a>\n    </li>"
        )
    parts.append(_more_row(customer_id, "tickets", next_cursor, _("Show older conversations")))
    return mark_safe("".join(parts))  # noqa: S308 - outside text escaped above


def timeline_rows(rows: Iterable[Any], next_cursor: str, customer_id: int) -> SafeString:
    """The messages of every ticket and channel (`<li>` rows for `<ol class="timeline">`),
    newest first, internal notes marked, with the "show older" row."""
    times = _Times()
    customer_label = escape(_("Customer"))
    system_label = escape(_("System"))
    internal_label = f"· {escape(_('internal note'))}"
    parts = []
    for message in rows:
        kind = message.author_kind
        if kind == "customer":
            who = customer_label
        elif message.author_id is not None and message.author is not None:
            who = escape(message.author.display_name)
        else:
            who = system_label
        internal = " timeline__item--internal" if message.internal else ""
        ticket_id = int(message.ticket_id)
        parts.append(
            f'\n    <li class="timeline__item timeline__item--{escape(kind)}{internal}">\n'
            f"      {channel_badge(message)}\n"
            '      <div class="timeline__meta">\n'
            f"        {who}\n"
            f"        {internal_label if message.internal else ''}\n"
            f'        · <a href="{ticket_href(ticket_id)}">#{ticket_id} '
            f"{escape(clip(message.ticket.subject, 60))}</a>\n"
            f"        · {times.html(message.created_at)}\n"
            "      </div>\n"
            f'      <div class="timeline__body">{escape(clip(message.body_text, 400))}</div>\n'
            "    </li>"
        )
    parts.append(_more_row(customer_id, "timeline", next_cursor, _("Show older messages")))
    return mark_safe("".join(parts))  # noqa: S308 - outside text escaped above


def _items_of(order: Any) -> list[Any]:
    """The order's items as loaded with it (the 360 query nests them), else one query."""
    prefetched = getattr(order, "_prefetched_objects_cache", {}).get("items")
    return list(prefetched if prefetched is not None else order.items.all())


def order_rows(orders: Iterable[Any]) -> SafeString:
    """The latest orders (`<li class="order">` rows), each with shipping facts and items."""
    day = _local_date("DATE_FORMAT")
    send_icon = icon("send", "sm")
    tracking_label = escape(_("Tracking"))
    head = (
        '\n      <table class="table order__items">\n        <thead><tr>\n'
        f'          <th scope="col">{escape(_("Item"))}</th>\n'
        f'          <th scope="col" class="order__sku">{escape(_("SKU"))}</th>\n'
        f'          <th scope="col" class="num order__qty">{escape(_("Qty"))}</th>\n'
        f'          <th scope="col" class="num order__price">{escape(_("Unit price"))}</th>\n'
        "        </tr></thead>\n        <tbody>"
    )
    parts = []
    for order in orders:
        currency = order.currency
        status = f'<span class="badge">{escape(order.status)}</span>' if order.status else ""
        iso = order.ordered_at.isoformat() if order.ordered_at else ""
        shipping = ""
        if order.shipping_status or order.tracking_number or order.carrier:
            tracking = ""
            if order.tracking_number:
                number = escape(order.tracking_number)
                link = (
                    f'<a href="{escape(order.tracking_url)}" rel="noopener noreferrer" '
                    f'target="_blank">{number}</a>'
                    if order.tracking_url
                    else f'<span class="order__tracking">{number}</span>'
                )
                tracking = f"\n          · {tracking_label}\n          {link}"
            carrier = f"· {escape(order.carrier)}" if order.carrier else ""
            shipping = (
                '\n      <p class="order__shipping">\n'
                f"        {send_icon}\n"
                f"        {escape(order.shipping_status)}\n"
                f"        {carrier}{tracking}\n"
                "      </p>"
            )
        items = _items_of(order)
        table = ""
        if items:
            lines = "".join(
                "\n          <tr>\n"
                f"            <td>{escape(item.name)}</td>\n"
                f'            <td class="muted order__sku">{escape(item.sku)}</td>\n'
                f'            <td class="num">{int(item.quantity)}</td>\n'
                f'            <td class="num">{escape(money(item.price, currency))}</td>\n'
                "          </tr>"
                for item in items
            )
            table = f"{head}{lines}\n        </tbody>\n      </table>"
        parts.append(
            '\n    <li class="order">\n      <div class="order__head">\n'
            f'        <strong class="order__number">{escape(order.number)}</strong>\n'
            f"        {status}\n"
            f'        <span class="muted"><time datetime="{escape(iso)}">'
            f"{escape(day(order.ordered_at))}</time> · {escape(order.source)}</span>\n"
            f'        <strong class="order__total">{escape(money(order.total, currency))}'
            "</strong>\n      </div>"
            f"{shipping}{table}\n    </li>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - outside text escaped above


def csat_rows(responses: Iterable[Any]) -> SafeString:
    """The latest CSAT answers (`<li>` rows of the satisfaction card)."""
    day = _local_date("SHORT_DATE_FORMAT")
    good_label = escape(_("Good"))
    bad_label = escape(_("Bad"))
    parts = []
    for answer in responses:
        good = bool(answer.is_good)
        if answer.scale == "five":
            shown = f"{escape(str(answer.rating))}/5"
        else:
            shown = good_label if good else bad_label
        comment = (
            f'<p class="csat-list__comment">{escape(truncatechars(answer.comment, 200))}</p>'
            if answer.comment
            else ""
        )
        ticket_id = int(answer.ticket_id)
        parts.append(
            "\n    <li>\n"
            f'      <span class="badge {"badge--solved" if good else "badge--open"}">{shown}'
            "</span>\n"
            f'      <a href="{ticket_href(ticket_id)}">#{ticket_id}</a>\n'
            f'      <span class="muted small">{escape(day(answer.created_at))}</span>\n'
            f"      {comment}\n    </li>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - outside text escaped above
