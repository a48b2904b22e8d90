"""One poller per mailbox, across every worker process and machine: a PostgreSQL lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# High 32 bits of the advisory-lock key ("MBOX"), so other users of advisory locks on ids
# (there are none yet) cannot collide with mailbox ids.
_NAMESPACE = 0x4D424F58


def _key(account_id: int) -> int:
    return (_NAMESPACE << 32) | (account_id & 0xFFFFFFFF)


@contextmanager
def mailbox_lock(account_id: int) -> Iterator[bool]:
    """Yields True when this process now polls the mailbox, False when another one does.

    A session-level lock, not a transaction one: the poll commits each mail on its own. If the
    process dies, PostgreSQL drops the lock with the connection, so a killed worker never
    blocks the mailbox.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_key(account_id)])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_key(account_id)])
