"""Many inbound mails at once: the mailbox poller's path (and the benchmark's).

Storing: every raw mail of a fetched batch goes in with one INSERT … ON CONFLICT DO NOTHING
(duplicates by Message-ID are skipped by the database), in the caller's transaction, so the
poller commits the raws and its checkpoint together; one task processes the new events after
that commit.

Processing: the batch is parsed and filed in ONE transaction — one locking SELECT, no savepoint
per mail, one duplicate check, one UPDATE of every event's outcome — instead of a task, two
transactions and two savepoints per mail. A mail that cannot be parsed is recorded as failed
in that same transaction (the others go on). Anything that breaks the transaction itself (a
database error, a race on a unique constraint) rolls the batch back, and every event is then
processed on its own by `services.process_inbound`, exactly as a single event is: one bad mail
never blocks or loses the others, and the raws are committed whatever happens here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, router, transaction
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from tickets import services as ticket_services
from tickets.config_snapshot import inbound_snapshot

from . import registry
from .mail.parse import message_id_of
from .models import InboundEvent, InboundStatus
from .services import (
    PROCESSING_FIELDS,
    InboundSettled,
    mark_failed,
    mark_settled,
    mark_stored,
    payload_key,
    process_inbound,
)

log = logging.getLogger(__name__)


def record_raw_mails(raws: Sequence[bytes], *, source: str = "") -> list[bool]:
    """Store RFC 822 mails for processing, in one statement; True for each one that is new
    (False: its Message-ID — or bytes, when it has none — was stored before). Runs in the
    caller's transaction if there is one; processing is queued after it commits."""
    events = [
        InboundEvent(
            kind="email",
            idempotency_key=(message_id_of(raw) or payload_key(raw))[:500],
            payload=raw,
            headers={"source": source},
        )
        for raw in raws
    ]
    if not events:
        return []
    with transaction.atomic():
        created = _insert_new(events)
        if created:
            transaction.on_commit(lambda: schedule_batch(sorted(created.values())))
    seen: set[str] = set()
    flags = []
    for event in events:  # the same mail twice in one batch: the first copy is the new one
        flags.append(event.idempotency_key in created and event.idempotency_key not in seen)
        seen.add(event.idempotency_key)
    return flags


def _insert_new(events: list[InboundEvent]) -> dict[str, int]:
    """{idempotency key: id} of the rows this INSERT created (conflicts are left out)."""
    meta = InboundEvent._meta
    fields = [field for field in meta.local_concrete_fields if field is not meta.pk]
    query = InsertQuery(InboundEvent, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, events)
    compiler = query.get_compiler(using=router.db_for_write(InboundEvent))
    ((sql, params),) = compiler.as_sql()
    qn = compiler.quote_name_unless_alias
    returning = f"{qn(meta.pk.column)}, {qn(meta.get_field('idempotency_key').column)}"
    with compiler.connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {returning}", params)
        return {key: pk for pk, key in cursor.fetchall()}


def schedule_batch(event_ids: list[int]) -> None:
    from .tasks import process_inbound_events

    try:
        process_inbound_events.delay(event_ids)
    except Exception:  # noqa: BLE001 - the beat sweep picks the stored events up later
        log.warning("could not queue %d inbound events; the retry sweep will", len(event_ids))


def process_inbound_batch(event_ids: Sequence[int]) -> None:
    """Process stored events together (see the module); events already processed, or being
    processed by another worker right now, are left alone."""
    try:
        with inbound_snapshot(), transaction.atomic():
            _process_together(event_ids)
        return
    except Exception as exc:  # noqa: BLE001 - nothing is lost: each event is retried alone
        log.warning(
            "inbound batch of %d events failed together (%s); processing each alone",
            len(event_ids),
            exc,
        )
    for event_id in event_ids:
        try:
            process_inbound(event_id)
        except Exception:  # noqa: BLE001 - stays `received`; the retry sweep takes it later
            log.warning("inbound event %s could not be processed", event_id, exc_info=True)


def _process_together(event_ids: Sequence[int]) -> None:
    events = list(
        InboundEvent.objects.select_for_update(skip_locked=True)
        .filter(pk__in=list(event_ids))
        .exclude(status=InboundStatus.PROCESSED)
        .order_by("pk")
    )
    parsed: list[tuple[InboundEvent, list]] = []
    for event in events:
        event.attempts += 1
        try:
            messages = registry.adapter_for(event.kind).parse(event)
        except InboundSettled as settled:
            mark_settled(event, settled)
        except DatabaseError:
            raise  # the transaction is broken: the whole batch goes the single way
        except Exception as exc:  # noqa: BLE001 - a bad mail is recorded, the rest goes on
            mark_failed(event, exc)
        else:
            parsed.append((event, messages))
    # Indexed for search by a batched task right after commit (tickets.search_queue).
    stored = iter(ticket_services.receive_batch([m for _event, ms in parsed for m in ms]))
    for event, messages in parsed:
        mark_stored(event, [next(stored) for _message in messages])
    _save_outcomes(events)


def _save_outcomes(events: list[InboundEvent]) -> None:
    """Every event's outcome in one UPDATE … FROM unnest(arrays): what `bulk_update` does,
    without the CASE per field and row that made it cost more than the mails' own writes.
    Never the payload: rewriting megabytes of unchanged mail would cost more than the rest."""
    if not events:
        return
    meta = InboundEvent._meta
    # (field, the array type its column values are passed as)
    columns = [("id", "bigint"), *((name, _ARRAY_TYPES[name]) for name in PROCESSING_FIELDS)]
    arrays = [[_column_value(event, name) for event in events] for name, _type in columns]
    qn = connection.ops.quote_name
    names = [qn(meta.get_field(name).column) for name, _type in columns]
    unnest = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
    assignments = ", ".join(f"{name} = outcome.{name}" for name in names[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(meta.db_table)} AS event SET {assignments} "  # noqa: S608 - identifiers from the model, values are parameters
            f"FROM unnest({unnest}) AS outcome({', '.join(names)}) WHERE event.id = outcome.id",
            arrays,
        )


_ARRAY_TYPES = {
    "status": "text",
    "error": "text",
    "attempts": "integer",
    "processed_at": "timestamptz",
    "next_attempt_at": "timestamptz",
    "message": "bigint",
    "headers": "jsonb",
}


def _column_value(event: InboundEvent, name: str):
    if name == "message":
        return event.message_id
    if name == "headers":
        return json.dumps(event.headers, cls=DjangoJSONEncoder)
    return getattr(event, name)
