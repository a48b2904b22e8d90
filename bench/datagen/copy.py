"""Bulk loading with PostgreSQL COPY: rows as text lines, secondary indexes rebuilt once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
CHUNK = 1 << 20  # characters per write: few calls, bounded memory


def field(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, list | tuple):
        return "{" + ",".join(_array_item(item) for item in value) + "}"
    return str(value)


def _array_item(item) -> str:
    text = str(item).replace("\\", "\\\\\\\\").replace('"', '\\\\"')
    return f'"{text}"'


def model_defaults(table: str, columns: Sequence[str]) -> list[tuple[str, object]]:
    """(column, Django default) for the columns of `table`'s model that the caller leaves out
    but the database requires: fields added later need no change in the generator."""
    from django.apps import apps

    model = next((m for m in apps.get_models() if m._meta.db_table == table), None)
    if model is None:
        return []
    defaults = []
    for model_field in model._meta.concrete_fields:
        if model_field.column in columns or model_field.null or model_field.primary_key:
            continue
        default = model_field.get_default()
        if model_field.get_internal_type() == "JSONField":
            default = json.dumps(default)
        defaults.append((model_field.column, default))
    return defaults


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY `rows` into `table`; returns how many were written."""
    count = 0
    buffer: list[str] = []
    size = 0
    defaults = model_defaults(table, columns)
    suffix = "".join("\t" + field(value) for _, value in defaults)
    names = ", ".join([*columns, *(column for column, _ in defaults)])
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            line = "\t".join(map(field, row)) + suffix + "\n"
            buffer.append(line)
            size += len(line)
            count += 1
            if size >= CHUNK:
                copy.write("".join(buffer))
                buffer.clear()
                size = 0
        if buffer:
            copy.write("".join(buffer))
    return count


def secondary_indexes(cursor, tables: Sequence[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes that back no constraint: safe to drop and rebuild."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef
        FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(tables)],
    )
    return cursor.fetchall()


def drop_indexes(cursor, indexes: Sequence[tuple[str, str]]) -> None:
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_indexes(cursor, indexes: Sequence[tuple[str, str]]) -> None:
    for _name, definition in indexes:
        cursor.execute(definition)


def reset_sequences(cursor, tables: Sequence[str]) -> None:
    """Ids were given explicitly: move each table's id sequence past the largest one."""
    for table in tables:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )
