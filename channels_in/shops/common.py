"""What every shop connector shares: who an order belongs to, raw-first storage, order JSON
checks that fail with a sentence an admin can act on."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime

from customers.models import Customer, IdentityKind, ShopConnection
from customers.services import identity_resolve

from ..models import InboundEvent
from ..registry import MalformedPayload
from ..services import process_inbound, record_inbound

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def connection_for(event: InboundEvent, platform: str) -> ShopConnection:
    connection = ShopConnection.objects.filter(key=event.account_id, platform=platform).first()
    if connection is None:
        raise MalformedPayload(f"no {platform} shop connection with key {event.account_id!r}")
    return connection


def person_name(first: str | None, last: str | None) -> str:
    """Japanese names read family name first (山田 太郎); others given name first."""
    first, last = (first or "").strip(), (last or "").strip()
    parts = [last, first] if _CJK.search(first + last) else [first, last]
    return " ".join(p for p in parts if p)


def customer_for(*, email: str | None, phone: str | None, name: str) -> Customer:
    """The customer an order belongs to, by email address first, else by phone number."""
    if email and "@" in email:
        return identity_resolve(kind=IdentityKind.EMAIL, handle=email, display_name=name).customer
    if phone and any(ch.isdecimal() for ch in phone):
        return identity_resolve(kind=IdentityKind.PHONE, handle=phone, display_name=name).customer
    raise MalformedPayload("the order has neither an email address nor a phone number")


def decimal_of(value, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise MalformedPayload(f"{what} {value!r} is not a number") from exc
    if not number.is_finite() or number < 0:
        raise MalformedPayload(f"{what} {value!r} is not an amount")
    return number


def datetime_of(value, what: str) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise MalformedPayload(f"{what} {value!r} is not a date and time")
    return moment


def store_and_process(
    *, kind: str, connection: ShopConnection, payload: bytes, key: str, headers: dict
) -> InboundEvent:
    """Raw first, then parse — here and now, since polling already runs in a worker. A stored
    event that failed before is tried again; a processed one is left alone."""
    event, _created = record_inbound(
        kind=kind,
        payload=payload,
        idempotency_key=key,
        headers=headers,
        account_id=connection.key,
    )
    return process_inbound(event.pk)
