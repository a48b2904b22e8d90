"""Set-wise writes for the SLA batch path (sla/batch.py): many rows changed in memory, one
statement per table.

`update_rows` is one `UPDATE … FROM unnest(arrays)`: the changed columns of every row travel as
one array per column, so its cost (SQL text to build, to parse, to plan) does not grow with the
rows the way `bulk_update`'s `CASE WHEN` per row and column does.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def update_rows(model: type[models.Model], rows: Sequence[models.Model], attnames: Sequence[str]):
    """Write `attnames` of every row (by primary key) in one statement; no signals, no auto_now."""
    if not rows or not attnames:
        return
    meta = model._meta
    fields = {field.attname: field for field in meta.concrete_fields}
    columns = [meta.pk, *(fields[name] for name in attnames)]
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    names = ", ".join(quote(field.column) for field in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    pk = quote(meta.pk.column)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 - our names, values bound
        f"FROM unnest({arrays}) AS v({names}) WHERE t.{pk} = v.{pk}"
    )
    values = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for row in rows]
        for field in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
