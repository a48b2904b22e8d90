"""Purchase history: one upsert used by the API, the CSV import and the shop connectors."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .models import Customer, IdentityKind, Order, OrderItem, TicketOrder
from .services import identity_resolve


@dataclass(frozen=True)
class ItemValues:
    name: str
    quantity: int = 1
    price: Decimal = Decimal(0)
    sku: str = ""


@dataclass
class OrderValues:
    external_id: str
    number: str
    ordered_at: datetime
    status: str = ""
    total: Decimal = Decimal(0)
    currency: str = "JPY"
    shipping_status: str = ""
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    items: list[ItemValues] = field(default_factory=list)
    # The source's own "last changed" time, when it tells us one (see Order.source_updated_at).
    source_updated_at: datetime | None = None


def order_upsert(*, customer: Customer, source: str, values: OrderValues) -> tuple[Order, bool]:
    """Create or update the order known as (source, external_id); its items are replaced.

    When both the stored order and `values` carry the source's change time and `values` is
    older, nothing changes (returns the stored order, created=False): a late `orders/updated`
    must not bring back a state the shop has already left. Equal times apply (a redelivery).
    """
    with transaction.atomic():
        if values.source_updated_at is not None:
            stored = (
                Order.objects.select_for_update()
                .filter(source=source, external_id=values.external_id)
                .first()
            )
            if (
                stored is not None
                and stored.source_updated_at is not None
                and values.source_updated_at < stored.source_updated_at
            ):
                return stored, False
        order, created = Order.objects.select_for_update().update_or_create(
            source=source,
            external_id=values.external_id,
            defaults={
                "customer": customer,
                "number": values.number,
                "ordered_at": values.ordered_at,
                "status": values.status,
                "total": values.total,
                "currency": values.currency.upper()[:3],
                "shipping_status": values.shipping_status,
                "carrier": values.carrier,
                "tracking_number": values.tracking_number,
                "tracking_url": values.tracking_url,
                "source_updated_at": values.source_updated_at,
            },
        )
        order.items.all().delete()
        OrderItem.objects.bulk_create(
            OrderItem(order=order, sku=i.sku, name=i.name, quantity=i.quantity, price=i.price)
            for i in values.items
        )
    return order, created


# --- CSV import ---------------------------------------------------------------------------
# One row per order line; rows with the same order_number form one order.
CSV_COLUMNS = (
    "order_number",
    "ordered_at",
    "customer_email",
    "customer_name",
    "status",
    "total",
    "currency",
    "shipping_status",
    "tracking_number",
    "sku",
    "item_name",
    "quantity",
    "price",
)
REQUIRED_COLUMNS = ("order_number", "ordered_at", "customer_email", "item_name")
MAX_CSV_ROWS = 50_000


@dataclass
class ImportReport:
    orders: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)
    preview: list[dict] = field(default_factory=list)  # first orders, as they would be stored


def orders_import_csv(data: bytes, *, commit: bool, source: str = "csv") -> ImportReport:
    """Check every row; with commit=True store the orders whose rows are all valid.

    Orders with a bad row are skipped whole (never half an order), and each bad row is
    reported with its line number so the file can be fixed and imported again (idempotent).
    """
    report = ImportReport()
    rows = _read_csv(data, report)
    grouped: dict[str, list[tuple[int, dict]]] = {}
    for line, row in rows:
        grouped.setdefault(row.get("order_number", "").strip(), []).append((line, row))
    for number, lines in grouped.items():
        try:
            email, name, values = _order_from_rows(number, lines)
        except ValidationError as exc:
            report.errors.append((exc.params["line"], exc.messages[0]))
            continue
        report.orders += 1
        if len(report.preview) < 20:
            report.preview.append(
                {
                    "email": email,
                    "number": values.number,
                    "items": len(values.items),
                    "total": str(values.total),
                    "currency": values.currency,
                }
            )
        if commit:
            identity = identity_resolve(kind=IdentityKind.EMAIL, handle=email, display_name=name)
            _order, created = order_upsert(customer=identity.customer, source=source, values=values)
            report.created += created
            report.updated += not created
    return report


def _read_csv(data: bytes, report: ImportReport) -> list[tuple[int, dict]]:
    # Japanese spreadsheets export Shift_JIS (CP932) as often as UTF-8 (with or without BOM).
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        report.errors.append((0, _("The file is neither UTF-8 nor Shift_JIS text.")))
        return []
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(
            (1, _("Missing columns: %(columns)s") % {"columns": ", ".join(missing)})
        )
        return []
    rows = []
    for row in reader:
        if reader.line_num > MAX_CSV_ROWS + 1:
            report.errors.append(
                (
                    reader.line_num,
                    _("Too many rows: import at most %(n)d at a time.") % {"n": MAX_CSV_ROWS},
                )
            )
            break
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}))
    return rows


def _order_from_rows(number: str, lines: list[tuple[int, dict]]) -> tuple[str, str, OrderValues]:
    first_line, first = lines[0]
    if not number:
        _fail(first_line, _("order_number is empty."))
    email = first.get("customer_email", "").lower()
    if "@" not in email:
        _fail(
            first_line, _("customer_email “%(value)s” is not an email address.") % {"value": email}
        )
    values = OrderValues(
        external_id=number,
        number=number,
        ordered_at=_parse_when(first_line, first.get("ordered_at", "")),
        status=first.get("status", ""),
        currency=first.get("currency") or "JPY",
        shipping_status=first.get("shipping_status", ""),
        tracking_number=first.get("tracking_number", ""),
    )
    for line, row in lines:
        if not row.get("item_name"):
            _fail(line, _("item_name is empty."))
        values.items.append(
            ItemValues(
                name=row["item_name"],
                sku=row.get("sku", ""),
                quantity=_parse_number(line, "quantity", row.get("quantity") or "1", int),
                price=_parse_number(line, "price", row.get("price") or "0", Decimal),
            )
        )
    total = first.get("total")
    values.total = (
        _parse_number(first_line, "total", total, Decimal)
        if total
        else sum((i.price * i.quantity for i in values.items), Decimal(0))
    )
    return email, first.get("customer_name", ""), values


def _parse_when(line: int, text: str) -> datetime:
    moment = parse_datetime(text.replace("/", "-"))
    if moment is None and (day := parse_date(text.replace("/", "-"))):
        moment = datetime(day.year, day.month, day.day)
    if moment is None:
        _fail(
            line,
            _("ordered_at “%(value)s” is not a date (use 2026-11-20 or 2026-11-20 14:30).")
            % {"value": text},
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _parse_number(line: int, column: str, text: str, kind):
    try:
        value = kind(text.replace(",", "").replace("¥", "").replace("￥", ""))
    except (ValueError, InvalidOperation):
        _fail(
            line, _("%(column)s “%(value)s” is not a number.") % {"column": column, "value": text}
        )
    if value < 0:
        _fail(line, _("%(column)s must not be negative.") % {"column": column})
    return value


def _fail(line: int, message: str):
    raise ValidationError(message, params={"line": line})


# --- the order a ticket is about ------------------------------------------------------------
def ticket_order_link(*, ticket_id: int, customer: Customer, order_id: int, actor=None) -> Order:
    """Say which of the customer's orders a ticket is about (one per ticket; relinking moves
    it). Another customer's order is refused: agents pick from this customer's history."""
    order = Order.objects.filter(pk=order_id, customer=customer).first()
    if order is None:
        raise ValidationError(_("That order does not belong to this customer."))
    TicketOrder.objects.update_or_create(
        ticket_id=ticket_id, defaults={"order": order, "linked_by": actor}
    )
    return order


def ticket_order_unlink(*, ticket_id: int) -> None:
    TicketOrder.objects.filter(ticket_id=ticket_id).delete()
