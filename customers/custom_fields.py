"""Admin-defined custom fields on customers: definitions, checked values, display.

Values are stored in `Customer.custom_fields` as JSON by the definition's key: text and
choice as strings, numbers as numbers, dates as "YYYY-MM-DD" (sortable as text), checkboxes as
booleans. A missing key means "no value".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from helpdesk.models import User

from .models import Customer, CustomField, CustomFieldKind
from .privacy import MASK, sees_contact_details

MAX_TEXT = 1000
_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no", ""}


def custom_fields_active() -> list[CustomField]:
    return list(CustomField.objects.filter(active=True).order_by("position", "id"))


def custom_field_save(
    *,
    field: CustomField | None = None,
    key: str,
    label: str,
    kind: str,
    choices: list[str],
    sensitive: bool = False,
    position: int = 0,
    active: bool = True,
) -> CustomField:
    """Create or edit a definition. The key and type stay fixed once values may exist."""
    if field is None:
        field = CustomField(key=key, kind=kind)
    field.label = label.strip()
    field.choices = [c.strip() for c in choices if c.strip()]
    field.sensitive = sensitive
    field.position = position
    field.active = active
    if field.kind == CustomFieldKind.CHOICE and not field.choices:
        raise ValidationError({"choices": _("A choice field needs at least one choice.")})
    field.full_clean()
    field.save()
    return field


def custom_value_clean(field: CustomField, raw: Any) -> Any:
    """A typed value from form or API input; None for "no value". Raises ValidationError."""
    if raw is None or (isinstance(raw, str) and not raw.strip() and field.kind != "checkbox"):
        return None
    text = str(raw).strip()
    if field.kind == CustomFieldKind.TEXT:
        if len(text) > MAX_TEXT:
            raise ValidationError(_("At most %(n)d characters.") % {"n": MAX_TEXT})
        return text
    if field.kind == CustomFieldKind.NUMBER:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation as exc:
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": text}) from exc
        if not number.is_finite():
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": text})
        return int(number) if number == number.to_integral_value() else float(number)
    if field.kind == CustomFieldKind.DATE:
        day = raw if isinstance(raw, date) else parse_date(text.replace("/", "-"))
        if day is None:
            raise ValidationError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": text})
        return day.isoformat()
    if field.kind == CustomFieldKind.CHOICE:
        if text not in field.choices:
            raise ValidationError(_("“%(value)s” is not one of the choices.") % {"value": text})
        return text
    if isinstance(raw, bool):
        return raw
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValidationError(_("“%(value)s” is not yes or no.") % {"value": text})


def customer_custom_fields_update(*, customer: Customer, values: dict[str, Any]) -> Customer:
    """Set the given fields (None clears one); unknown keys are refused, others untouched."""
    fields = {f.key: f for f in CustomField.objects.filter(key__in=list(values))}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in fields:
            errors[key] = [_("There is no custom field “%(key)s”.") % {"key": key}]
            continue
        try:
            cleaned[key] = custom_value_clean(fields[key], raw)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        current = dict(customer.custom_fields)
        for key, value in cleaned.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        customer.custom_fields = current
        customer.save(update_fields=["custom_fields", "updated_at"])
    return customer


def customers_with_field(customers: QuerySet[Customer], key: str, raw: str) -> QuerySet[Customer]:
    """Filter by one custom field value (a jsonb containment, served by the GIN index)."""
    field = CustomField.objects.filter(key=key).first()
    if field is None:
        return customers.none()
    try:
        value = custom_value_clean(field, raw)
    except ValidationError:
        return customers.none()
    if value is None:
        return customers.filter(~Q(custom_fields__has_key=key))
    return customers.filter(custom_fields__contains={key: value})


@dataclass(frozen=True)
class ShownField:
    field: CustomField
    value: Any
    shown: str


def custom_fields_shown(
    customer: Customer, viewer: User, fields: list[CustomField] | None = None
) -> list[ShownField]:
    """Each active field with the customer's value as the viewer may see it: sensitive values
    are masked for light agents."""
    reveal = sees_contact_details(viewer)
    rows = []
    for field in fields if fields is not None else custom_fields_active():
        value = customer.custom_fields.get(field.key)
        if value is None:
            shown = ""
        elif field.sensitive and not reveal:
            shown = MASK
        elif field.kind == CustomFieldKind.CHECKBOX:
            shown = _("Yes") if value else _("No")
        else:
            shown = str(value)
        rows.append(ShownField(field, value, shown))
    return rows
