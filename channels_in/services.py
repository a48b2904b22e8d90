"""Raw first, then parse; every outbound reply is a row. The rules of DESIGN.md live here."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.db import router, transaction
from django.db.models import Q
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from tickets import realtime
from tickets import services as ticket_services
from tickets.config_snapshot import inbound_snapshot
from tickets.models import Message

from . import registry
from .mail.parse import message_id_of
from .models import DeliveryStatus, InboundEvent, InboundStatus, OutboundDelivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# What processing changes on an event (the raw payload it never does).
PROCESSING_FIELDS = (
    "status",
    "error",
    "attempts",
    "processed_at",
    "next_attempt_at",
    "message",
    "headers",
)


class InboundSettled(Exception):
    """Raised by an adapter's `parse` for an event that must not become a message (an
    automatic reply, a bounce, a mail storm). The event ends as `status` with `reason`;
    `settle` runs in the event's transaction after the parse rolled back (e.g. marks the
    bounced delivery failed) and returns the message the event concerns, if any."""

    def __init__(self, status: str, reason: str = "", settle=None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.settle = status, reason, settle


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def payload_key(payload: bytes) -> str:
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def record_inbound(
    *,
    kind: str,
    payload: bytes,
    idempotency_key: str = "",
    headers: dict | None = None,
    account_id: str = "",
) -> tuple[InboundEvent, bool]:
    """Store the raw event durably and schedule its processing after commit.

    Returns (event, created); a repeated key returns the stored event and schedules nothing.
    """
    key = (idempotency_key or payload_key(payload))[:500]
    with transaction.atomic():
        event = InboundEvent(
            kind=kind,
            idempotency_key=key,
            payload=payload,
            headers=headers or {},
            account_id=account_id,
        )
        created = _insert_unless_known(event)
        if created:
            transaction.on_commit(lambda: _schedule_processing(event.pk))
        else:
            event = InboundEvent.objects.get(kind=kind, idempotency_key=key)
    return event, created


def _insert_unless_known(event: InboundEvent) -> bool:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: one round trip for a new event, where
    get_or_create needs a SELECT, a savepoint, the INSERT and its release."""
    meta = InboundEvent._meta
    fields = [field for field in meta.local_concrete_fields if field is not meta.pk]
    query = InsertQuery(InboundEvent, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [event])
    compiler = query.get_compiler(using=router.db_for_write(InboundEvent))
    ((sql, params),) = compiler.as_sql()
    with compiler.connection.cursor() as cursor:
        cursor.execute(
            f"{sql} RETURNING {compiler.quote_name_unless_alias(meta.pk.column)}", params
        )
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk = row[0]
    event._state.adding = False
    return True


def record_raw_mail(raw: bytes, *, source: str = "") -> tuple[InboundEvent, bool]:
    """Store one RFC 822 mail (IMAP, `manage.py ingest_mail`, a pipe) for processing.

    Keyed by Message-ID, so the same mail fetched twice or from two mailboxes is one event;
    mail without one is keyed by its bytes.
    """
    return record_inbound(
        kind="email",
        payload=raw,
        idempotency_key=message_id_of(raw),
        headers={"source": source},
    )


def _schedule_processing(event_id: int) -> None:
    from .tasks import process_inbound_event

    try:
        process_inbound_event.delay(event_id)
    except Exception:  # noqa: BLE001 - the beat sweep picks the stored event up later
        log.warning("could not queue inbound event %s; the retry sweep will", event_id)


def process_inbound(event_id: int) -> InboundEvent:
    """Parse and store one event exactly once. Failures keep the raw event and its reason."""
    # A worker remembers SLA, routing and automation settings across events (for seconds, or
    # until someone changes them): they would otherwise be a third of each event's queries.
    with inbound_snapshot(), transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=event_id)
        if event.status == InboundStatus.PROCESSED:
            return event
        event.attempts += 1
        try:
            with transaction.atomic():
                messages = registry.adapter_for(event.kind).parse(event)
                # Indexed for search by a batched task right after commit, not in this
                # transaction: tokenizing is the costliest step of a burst (search_queue).
                stored = [ticket_services.receive_message(m, index_later=True) for m in messages]
        except InboundSettled as settled:
            mark_settled(event, settled)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, never lost
            mark_failed(event, exc)
        else:
            mark_stored(event, stored)
        # Never the payload: rewriting megabytes of unchanged mail would cost more than the rest.
        event.save(update_fields=PROCESSING_FIELDS)
    return event


def mark_settled(event: InboundEvent, settled: InboundSettled) -> None:
    """The event ends without a message of its own (held, or a bounce filed where it
    belongs); `settle` runs now, in the event's transaction."""
    event.status = settled.status
    event.error = settled.reason[:5000]
    event.processed_at = timezone.now()
    event.next_attempt_at = None
    event.message = settled.settle() if settled.settle else None


def mark_failed(event: InboundEvent, exc: Exception) -> None:
    """Kept raw with the reason; retried with backoff unless the payload itself is bad."""
    log.warning("inbound event %s failed: %s", event.pk, exc, exc_info=True)
    event.status = InboundStatus.FAILED
    event.error = f"{exc.__class__.__name__}: {exc}"[:5000]
    retry = event.attempts < MAX_ATTEMPTS and not isinstance(exc, registry.MalformedPayload)
    event.next_attempt_at = timezone.now() + backoff(event.attempts) if retry else None


def mark_stored(event: InboundEvent, stored: list[Message | None]) -> None:
    kept = [message for message in stored if message is not None]
    held = bool(stored) and not kept  # every message came from a blocked sender
    event.status = InboundStatus.HELD if held else InboundStatus.PROCESSED
    event.error = ""
    event.processed_at = timezone.now()
    event.next_attempt_at = None
    event.message = kept[0] if kept else None


class NotActionable(Exception):
    """The event is gone or not in the state the admin's action needs (already handled)."""


def release_held_event(event_id: int) -> InboundEvent:
    """An admin looked at a held event and found it real: file it as an ordinary message.

    The release is remembered on the event, so the mail screens let it through; a blocked
    sender's event is held again (unblock the customer first). Used by the settings pages and
    `manage.py release_inbound`.
    """
    from .mail.screening import RELEASED

    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.status != InboundStatus.HELD:
            raise NotActionable(event_id)
        event.headers = {**event.headers, RELEASED: True}
        event.save(update_fields=["headers"])
    return process_inbound(event_id)


def retry_failed_event(event_id: int) -> InboundEvent:
    """Process a failed event again now, whatever its backoff says (`replay_inbound`)."""
    if not InboundEvent.objects.filter(pk=event_id, status=InboundStatus.FAILED).exists():
        raise NotActionable(event_id)
    return process_inbound(event_id)


def events_due_for_retry(limit: int = 100) -> list[int]:
    """Failed events whose backoff has passed, and received ones whose task was lost."""
    now = timezone.now()
    stale = now - timedelta(minutes=2)
    failed = InboundEvent.objects.filter(
        status=InboundStatus.FAILED, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    lost = InboundEvent.objects.filter(
        status=InboundStatus.RECEIVED, received_at__lte=stale
    ).values_list("pk", flat=True)[:limit]
    return [*failed, *lost]


# --- outbound -----------------------------------------------------------------------------


def queue_delivery(message: Message, *, kind: str) -> OutboundDelivery:
    """The `tickets.outbound` sender: record the delivery; send it after commit."""
    identity = message.ticket.identity
    delivery = OutboundDelivery.objects.create(
        message=message, kind=kind, recipient=identity.handle if identity else ""
    )
    transaction.on_commit(lambda: _schedule_delivery(delivery.pk))
    return delivery


def _schedule_delivery(delivery_id: int) -> None:
    from .tasks import deliver_outbound

    try:
        deliver_outbound.delay(delivery_id)
    except Exception:  # noqa: BLE001 - the beat sweep sends it later
        log.warning("could not queue delivery %s; the retry sweep will", delivery_id)


def deliver(delivery_id: int) -> OutboundDelivery:
    """Send one delivery at most once successfully; failures are retried with backoff."""
    with transaction.atomic():
        delivery = (
            # Lock only the delivery row: PostgreSQL refuses FOR UPDATE on the nullable side
            # of the outer joins (identity, author) that select_related adds.
            OutboundDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("message__ticket__identity", "message__author")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:  # another worker is sending it right now
            return OutboundDelivery.objects.get(pk=delivery_id)
        if delivery.status != DeliveryStatus.QUEUED:
            return delivery
        delivery.attempts += 1
        try:
            if not delivery.recipient:
                raise registry.PermanentDeliveryError("the ticket has no address to reply to")
            delivery.provider_id = registry.adapter_for(delivery.kind).deliver(delivery)[:500]
        except registry.PermanentDeliveryError as exc:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = str(exc)[:5000]
            delivery.next_attempt_at = None
        except Exception as exc:  # noqa: BLE001 - transient: try again later
            log.warning("delivery %s failed: %s", delivery.pk, exc)
            delivery.last_error = f"{exc.__class__.__name__}: {exc}"[:5000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            delivery.next_attempt_at = None
        delivery.save()
        realtime.publish(
            "delivery.updated",
            ticket=delivery.message.ticket_id,
            message=delivery.message_id,
            status=delivery.status,
        )
    return delivery


def deliveries_due_for_retry(limit: int = 100) -> list[int]:
    """Queued deliveries whose backoff has passed, and first attempts whose task was lost."""
    now = timezone.now()
    lost = Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(minutes=2))
    due = OutboundDelivery.objects.filter(Q(next_attempt_at__lte=now) | lost)
    return list(due.filter(status=DeliveryStatus.QUEUED).values_list("pk", flat=True)[:limit])
