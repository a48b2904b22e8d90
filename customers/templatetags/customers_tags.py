"""Template helpers of the customer pages: masked contact details, money, merge summaries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from django import template
from django.apps import apps
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
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
    "part": _("list shown"),
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


# --- rows of the 360 page: one per ticket and message, so each costs as little as it can ----
_HREF_PLACEHOLDER = 987654321


@lru_cache(maxsize=64)
def _ticket_href_parts(prefix: str) -> tuple[str, str]:
    head, tail = reverse("tickets:detail", args=[_HREF_PLACEHOLDER]).split(
        str(_HREF_PLACEHOLDER), 1
    )
    return head, tail


@register.filter
def ticket_href(ticket_id: int) -> str:
    """`{% url 'tickets:detail' pk %}` without resolving the URL pattern again for each row."""
    head, tail = _ticket_href_parts(get_script_prefix())
    return f"{head}{int(ticket_id)}{tail}"


@lru_cache(maxsize=64)
def _choices(model: type, field: str) -> dict:
    return dict(model._meta.get_field(field).flatchoices)


@register.filter
def label_of(row: object, field: str) -> str:
    """`row.get_<field>_display` in the viewer's language, from a cached table of choices."""
    value = getattr(row, field)
    return str(_choices(type(row), field).get(value, value))


@lru_cache(maxsize=512)
def _channel_badge(channel: str, label: str, sprite: str) -> SafeString:
    return format_html(
        '<span class="chan chan--{} chan--sm" title="{}" role="img" aria-label="{}">'
        '<svg class="icon" aria-hidden="true" focusable="false"><use href="{}#i-{}"></use>'
        "</svg></span>",
        channel,
        label,
        label,
        sprite,
        channel,
    )


@register.simple_tag
def channel_badge(row: object) -> SafeString:
    """The small channel icon of `includes/channel.html` for a ticket or message row, built
    once per channel and language."""
    return _channel_badge(
        row.channel, _channel_label(type(row), row.channel, get_language()), _sprite()
    )


@lru_cache(maxsize=1)
def _sprite() -> str:
    return static("img/icons.svg")


@register.filter
def iso(moment: datetime | None) -> str:
    """A machine-readable time for `<time datetime>`: UTC is as good as local there."""
    return moment.isoformat() if moment else ""


@register.filter
def exact_time(moment: datetime | None) -> str:
    """ "2026-11-23 09:41" in the viewer's time zone, for the hover title of a relative time:
    unambiguous in every language, and far cheaper than the localized date format per row."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@lru_cache(maxsize=64)
def _icon(name: str, size: str, sprite: str) -> SafeString:
    return format_html(
        '<svg class="icon{}" aria-hidden="true" focusable="false"><use href="{}#i-{}"></use></svg>',
        f" icon--{size}" if size else "",
        sprite,
        name,
    )


@register.simple_tag
def icon(name: str, size: str = "") -> SafeString:
    """`includes/icon.html` without an include per use (the order list shows one per order)."""
    return _icon(name, size, _sprite())


@register.filter
def clip(text: str | None, length: int) -> str:
    """`truncatechars` for the usual short text, without building a Truncator per row."""
    text = text or ""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@lru_cache(maxsize=512)
def _channel_label(model: type, channel: str, language: str | None) -> str:
    return str(_choices(model, "channel").get(channel, channel))
