"""Template helpers of the customer pages: masked contact details, money, merge summaries."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.apps import apps
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from customers.privacy import mask_contact

register = template.Library()

# Currencies without minor units (ISO 4217 exponent 0) that shops here commonly use.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "TWD", "CLP", "ISK", "HUF"})
SYMBOLS = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "CNY": "CN¥", "KRW": "₩"}
# What a merge moves, by model name (CustomerMerge.moved); other relations use their model's
# own plural name.
MOVED_LABELS = {
    "identity": _("identities"),
    "ticket": _("tickets"),
    "order": _("orders"),
    "customernote": _("notes"),
}

# The keys views write into CustomerAccess.detail, as admins read them, in this order.
AUDIT_DETAIL_LABELS = {
    "via": _("read via"),
    "ticket": _("on ticket"),
    "orders": _("orders in the file"),
    "created": _("orders created"),
    "updated": _("orders updated"),
    "errors": _("rows skipped"),
    "merged_customer": _("merged customer"),
    "into": _("merged into"),
    "reason": _("reason given"),
    "note": _("note number"),
    "pinned": _("pinned"),
    "files": _("files exported"),
    "fields": _("fields changed"),
    "organization": _("organization"),
    "customers": _("customers shown"),
    "identities": _("identities removed"),
    "notes": _("notes removed"),
    "orders_anonymised": _("orders anonymised"),
    "tickets": _("tickets redacted"),
    "messages": _("messages redacted"),
    "attachments": _("attachments deleted"),
    "raw_events": _("raw messages deleted"),
    "accounts": _("accounts closed"),
}
CUSTOMER_NUMBER_KEYS = frozenset({"merged_customer", "into"})
NUMBERED_KEYS = CUSTOMER_NUMBER_KEYS | {"ticket"}


@register.simple_tag(takes_context=True)
def pii(context: template.Context, value: object, kind: str = "") -> str:
    """An email address or phone number, masked unless the view set `show_contact_details`.

    Fails closed: a page whose view forgot to say so shows masks, never the data.
    """
    text = "" if value is None else str(value)
    if context.get("show_contact_details") is True:
        return text
    return mask_contact(text, kind)


@register.filter
def money(amount: Decimal | int | str | None, currency: str = "JPY") -> str:
    """¥5,800 / $32.00 / 12.50 CHF: grouped, with the currency's own number of decimals."""
    if amount in (None, ""):
        return ""
    code = (currency or "").upper()
    places = 0 if code in ZERO_DECIMAL_CURRENCIES else 2
    number = number_format(Decimal(amount), decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code}"


@register.filter
def moved_summary(moved: dict[str, int] | None) -> list[tuple[str, int]]:
    """{"ticket": 3, "identity": 1} → [("tickets", 3), ("identities", 1)] in the viewer's
    language, found by model name so this app needs no import of the others."""
    names = {model._meta.model_name: model._meta.verbose_name_plural for model in apps.get_models()}
    names.update(MOVED_LABELS)
    return [(str(names.get(key, key)), count) for key, count in (moved or {}).items()]


@register.filter
def audit_detail(detail: dict | None) -> list[tuple[str, str]]:
    """{"merged_customer": 12, "pinned": True} → [("merged customer", "#12"), ("pinned", "yes")]."""
    order = list(AUDIT_DETAIL_LABELS)
    # PostgreSQL's jsonb does not keep key order: show them in a fixed one.
    items = sorted(
        (detail or {}).items(),
        key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]),
    )
    rows = []
    for key, value in items:
        if isinstance(value, bool):
            shown = str(_("yes") if value else _("no"))
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        elif key in NUMBERED_KEYS:
            shown = f"#{value}"
        else:
            shown = str(value)
        rows.append((str(AUDIT_DETAIL_LABELS.get(key, key)), shown))
    return rows
