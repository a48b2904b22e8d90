"""What opening the ticket page writes: the agent's "seen" marker and their notifications read.

services.mark_ticket_seen and notifications.mark_read do the same one at a time, each in its
own transaction (BEGIN, statement, COMMIT: six round trips). The page is opened all day, so
here both writes are one statement: an upsert and an update joined in a WITH, atomic as one
statement always is.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from . import realtime
from .models import Notification, Ticket, TicketSeen

_SQL = """
WITH seen AS (
    INSERT INTO {seen} (ticket_id, user_id, seen_at) VALUES (%(ticket)s, %(user)s, %(now)s)
    ON CONFLICT (user_id, ticket_id) DO UPDATE SET seen_at = EXCLUDED.seen_at
    RETURNING 1
), read AS (
    UPDATE {notification} SET read_at = %(now)s
    WHERE user_id = %(user)s AND ticket_id = %(ticket)s AND read_at IS NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM read), (SELECT count(*) FROM seen)
"""


def mark_ticket_opened(*, ticket: Ticket, user) -> int:
    """Mark the ticket seen by `user` and its notifications to them read; returns how many
    notifications were unread (their badge is told to update when any were)."""
    sql = _SQL.format(
        seen=connection.ops.quote_name(TicketSeen._meta.db_table),
        notification=connection.ops.quote_name(Notification._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ticket": ticket.pk, "user": user.pk, "now": timezone.now()})
        read, _seen = cursor.fetchone()
    if read:
        realtime.publish("notification.read", user=user.pk)
    return read
