"""Keyset pagination for ticket lists: "the next page after this row", never OFFSET.

An OFFSET makes PostgreSQL walk past every earlier row (page 400 of a million tickets reads
20,000 rows) and shifts under the agent's feet when tickets change while they page. A cursor
holds the sort values of the last row shown instead; the next page is the rows strictly after
it in the same order, read straight from the index that matches the view.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q

from .models import ViewSort

CURSOR_MAX_CHARS = 300


class InvalidCursor(ValueError):
    """The `after` parameter was not one this server made (tampered, truncated, stale sort)."""


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool
    kind: type = datetime  # datetime or int: how the cursor's value is read back
    nullable: bool = False  # NULLs sort last whatever the direction


_LATEST = (SortKey("updated_at", True), SortKey("id", True, int))
SORT_KEYS: dict[str, tuple[SortKey, ...]] = {
    ViewSort.UPDATED_DESC: _LATEST,
    ViewSort.UPDATED_ASC: (SortKey("updated_at", False), SortKey("id", False, int)),
    ViewSort.CREATED_DESC: (SortKey("created_at", True), SortKey("id", True, int)),
    ViewSort.CREATED_ASC: (SortKey("created_at", False), SortKey("id", False, int)),
    ViewSort.PRIORITY: (SortKey("priority_rank", False, int), *_LATEST),
    ViewSort.SLA: (SortKey("sla_due_at", False, nullable=True), *_LATEST),
}


def sort_keys(sort: str) -> tuple[SortKey, ...]:
    return SORT_KEYS.get(sort, _LATEST)


def order_expressions(keys: tuple[SortKey, ...]) -> list:
    # NULLS LAST is spelled out only for the nullable key: on the other columns it would
    # differ from the indexes' own order (DESC means NULLS FIRST) and PostgreSQL would sort
    # every ticket instead of reading the first page off the index.
    return [
        (
            F(key.field).desc(nulls_last=True)
            if key.descending
            else F(key.field).asc(nulls_last=True)
        )
        if key.nullable
        else (F(key.field).desc() if key.descending else F(key.field).asc())
        for key in keys
    ]


def after(keys: tuple[SortKey, ...], values: list) -> Q:
    """Rows strictly after the row with these sort values: (a > x) OR (a = x AND b > y) …"""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= equal & _beyond(key, value)
        equal &= Q(**{f"{key.field}__isnull": True}) if value is None else Q(**{key.field: value})
    return condition


def _beyond(key: SortKey, value) -> Q:
    if value is None:  # NULLs come last: nothing is beyond a NULL except other rows' keys
        return Q(pk__in=[])
    beyond = Q(**{f"{key.field}__{'lt' if key.descending else 'gt'}": value})
    return beyond | Q(**{f"{key.field}__isnull": True}) if key.nullable else beyond


def cursor_for(row, keys: tuple[SortKey, ...]) -> str:
    values = [getattr(row, key.field) for key in keys]
    encoded = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    text = json.dumps(encoded, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def parse_cursor(text: str, keys: tuple[SortKey, ...]) -> list:
    """The sort values in `text`, or InvalidCursor."""
    if not text or len(text) > CURSOR_MAX_CHARS:
        raise InvalidCursor("the page cursor is empty or too long")
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("the page cursor is not readable") from exc
    if not isinstance(raw, list) or len(raw) != len(keys):
        raise InvalidCursor("the page cursor does not fit this view's order")
    values = []
    for key, value in zip(keys, raw, strict=True):
        if value is None and key.nullable:
            values.append(None)
        elif key.kind is int and isinstance(value, int) and not isinstance(value, bool):
            values.append(value)
        elif key.kind is datetime and isinstance(value, str):
            try:
                values.append(datetime.fromisoformat(value))
            except ValueError as exc:
                raise InvalidCursor("the page cursor holds a bad date") from exc
        else:
            raise InvalidCursor("the page cursor does not fit this view's order")
    return values
