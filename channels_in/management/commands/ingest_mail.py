"""`manage.py ingest_mail FILE… | -`: feed RFC 822 files through the mailbox path."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels_in import inbound_batch, services
from channels_in.models import InboundEvent, InboundStatus

STDIN = "-"


# Files stored (one INSERT) and filed (one transaction) together, as the mailbox poller does.
CHUNK = 50


class Command(BaseCommand):
    help = (
        "Store and process RFC 822 mail files exactly as mail fetched from a mailbox "
        "('-' reads one mail from standard input). Prints: input, event id, new/duplicate, "
        "status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("inputs", nargs="+", metavar="FILE", help="mail file, or - for stdin")

    def handle(self, *args: object, inputs: list[str], **options: object) -> None:
        unreadable = 0
        for first in range(0, len(inputs), CHUNK):
            readable: list[tuple[str, bytes]] = []
            for name in inputs[first : first + CHUNK]:
                try:
                    readable.append((name, _read(name)))
                except CommandError as exc:
                    self.stderr.write(f"{name}: {exc}")
                    unreadable += 1
            for name, event, created in _ingest(readable):
                state = "new" if created else "duplicate"
                self.stdout.write(f"{name}\t{event.pk}\t{state}\t{_status(event)}")
        if unreadable:
            raise CommandError(
                ngettext(
                    "%(count)d input could not be ingested.",
                    "%(count)d inputs could not be ingested.",
                    unreadable,
                )
                % {"count": unreadable}
            )


def _ingest(readable: list[tuple[str, bytes]]) -> list[tuple[str, InboundEvent, bool]]:
    """Store the raws of a chunk in one transaction, file them together, and give each
    input's event as it ended. The source names each file, as one-by-one storing did."""
    if not readable:
        return []
    names = [name for name, _raw in readable]
    stored = inbound_batch.store_raw_mails(
        [raw for _name, raw in readable], sources=[f"ingest_mail:{name}" for name in names]
    )
    ids = list(dict.fromkeys(event_id for event_id, _created in stored))
    # The new ones, together. With a worker running it may have filed them already (or be
    # filing them): both are safe — processed events are skipped, and an event still waiting
    # (a worker holds it, or a duplicate of one never filed) is filed alone, as before.
    inbound_batch.process_inbound_batch(
        list(dict.fromkeys(event_id for event_id, created in stored if created))
    )
    events = InboundEvent.objects.defer("payload").in_bulk(ids)
    for event_id, event in events.items():
        if event.status == InboundStatus.RECEIVED:
            events[event_id] = services.process_inbound(event_id)
    return [
        (name, events[event_id], created)
        for name, (event_id, created) in zip(names, stored, strict=True)
    ]


def _read(name: str) -> bytes:
    try:
        raw = sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    except OSError as exc:
        raise CommandError(_("cannot read: %(reason)s") % {"reason": exc.strerror or exc}) from exc
    if not raw.strip():
        raise CommandError(_("empty input, nothing to ingest"))
    return raw


def _status(event: InboundEvent) -> str:
    if event.status == InboundStatus.FAILED:
        return f"failed: {event.error}"
    return str(event.status)
