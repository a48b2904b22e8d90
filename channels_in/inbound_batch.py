"""Many inbound mails at once: the path of the mailbox poller, `manage.py ingest_mail`, the
inbound-mail webhooks (and the benchmark).

Storing: every raw mail of a fetched batch goes in with one INSERT … ON CONFLICT DO NOTHING
(duplicates by Message-ID are skipped by the database), in the caller's transaction, so the
poller commits the raws and its checkpoint together; one task processes the new events after
that commit. The payloads are bound server-side, as binary (`_bound_cursor`).

Processing: the batch is parsed and filed in ONE transaction — one locking SELECT, no savepoint
per mail, one pipelined storm check for all senders, the tickets, messages and attachments
filed set-wise (`tickets.receive_bulk`: one statement per step, not per mail), one UPDATE of
every event's outcome — instead of a task, two transactions and two savepoints and a dozen
statements per mail. A mail that cannot be parsed is recorded as failed
in that same transaction (the others go on). Anything that breaks the transaction itself (a
database error, a race on a unique constraint) rolls the batch back, and every event is then
processed on its own by `services.process_inbound`, exactly as a single event is: one bad mail
never blocks or loses the others, and the raws are committed whatever happens here.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Sequence

import psycopg
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


def record_raw_mails(
    raws: Sequence[bytes], *, source: str = "", sources: Sequence[str] = ()
) -> list[bool]:
    """Store RFC 822 mails for processing, in one statement; True for each one that is new
    (False: its Message-ID — or bytes, when it has none — was stored before). Runs in the
    caller's transaction if there is one; processing is queued after it commits. `sources`:
    where each mail came from, when they differ (else `source` for all)."""
    events = [
        InboundEvent(
            kind="email",
            idempotency_key=mail_key(raw),
            payload=raw,
            headers={"source": sources[position] if sources else source},
        )
        for position, raw in enumerate(raws)
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


def mail_key(raw: bytes) -> str:
    """What a stored mail is known by: its Message-ID, or its bytes' hash when it has none."""
    return (message_id_of(raw) or payload_key(raw))[:500]


def store_raw_mails(
    raws: Sequence[bytes], *, source: str = "", sources: Sequence[str] = ()
) -> list[tuple[int, bool]]:
    """`record_raw_mails` for callers that answer per mail (`manage.py ingest_mail`, the
    inbound-mail webhooks): (event id, new) for each raw, in order — a duplicate gets the id
    of the event stored before. One INSERT and one SELECT for all; one processing task
    after commit."""
    with transaction.atomic():
        flags = record_raw_mails(raws, source=source, sources=sources)
        keys = [mail_key(raw) for raw in raws]
        ids = dict(
            InboundEvent.objects.filter(kind="email", idempotency_key__in=set(keys)).values_list(
                "idempotency_key", "pk"
            )
        )
    return [(ids[key], new) for key, new in zip(keys, flags, strict=True)]


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
    with _bound_cursor(compiler.connection) as cursor:
        cursor.execute(f"{sql} RETURNING {returning}", params)
        return {key: pk for pk, key in cursor.fetchall()}


@contextlib.contextmanager
def _bound_cursor(connection, *, binary_results: bool = False):
    """A cursor whose parameters travel apart from the statement (server-side binding), the
    payloads as binary: Django's client-side binding would first escape megabytes of mail
    into the SQL text, which cost the worker more CPU than storing them costs the database.
    `binary_results`: rows come back binary too (a bytea as its bytes, not as hex text the
    server encodes and the worker decodes again). Wrapped as Django wraps its own, so query
    logging and execute wrappers still see it."""
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if binary_results:
        raw.format = psycopg.pq.Format.BINARY
    try:
        yield connection._prepare_cursor(raw)
    finally:
        raw.close()


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
        .defer("payload")
    )
    _load_payloads(events)
    parsed: list[tuple[InboundEvent, list]] = []
    for event in events:
        event.attempts += 1
    for event, outcome in zip(events, _parse_all(events), strict=True):
        if isinstance(outcome, InboundSettled):
            mark_settled(event, outcome)
        elif isinstance(outcome, Exception):  # a bad mail is recorded, the rest goes on
            mark_failed(event, outcome)
        else:
            parsed.append((event, outcome))
    # Indexed for search by a batched task right after commit (tickets.search_queue).
    stored = iter(ticket_services.receive_batch([m for _event, ms in parsed for m in ms]))
    for event, messages in parsed:
        mark_stored(event, [next(stored) for _message in messages])
    _save_outcomes(events)


def _load_payloads(events: list[InboundEvent]) -> None:
    """Every event's raw payload in one binary SELECT (the rows are locked already)."""
    if not events:
        return
    meta = InboundEvent._meta
    qn = connection.ops.quote_name
    with _bound_cursor(connection, binary_results=True) as cursor:
        cursor.execute(
            f"SELECT {qn(meta.pk.column)}, {qn(meta.get_field('payload').column)} "  # noqa: S608 - identifiers from the model
            f"FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} = ANY(%s)",
            [[event.pk for event in events]],
        )
        payloads = dict(cursor.fetchall())
    for event in events:
        event.payload = payloads[event.pk]


def _parse_all(events: list[InboundEvent]) -> list[list | Exception]:
    """Every event's messages, or the exception its adapter's `parse` raised, in order; an
    adapter that can parse a batch at once (`parse_many`: email's one storm-check round trip)
    does. A database error is raised: the transaction is broken, the whole batch goes the
    single way."""
    outcomes: dict[int, list | Exception] = {}
    for kind in dict.fromkeys(event.kind for event in events):
        group = [event for event in events if event.kind == kind]
        try:
            adapter = registry.adapter_for(kind)
        except Exception as exc:  # noqa: BLE001 - no adapter: each event fails with why
            outcomes.update((event.pk, exc) for event in group)
            continue
        if hasattr(adapter, "parse_many"):
            outcomes.update(zip((e.pk for e in group), adapter.parse_many(group), strict=True))
            continue
        for event in group:
            try:
                outcomes[event.pk] = adapter.parse(event)
            except DatabaseError:
                raise
            except Exception as exc:  # noqa: BLE001 - the event's own outcome
                outcomes[event.pk] = exc
    return [outcomes[event.pk] for event in events]


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
