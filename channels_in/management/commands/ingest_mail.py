"""`manage.py ingest_mail FILE… | -`: feed RFC 822 files through the mailbox path."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels_in import services
from channels_in.models import InboundEvent, InboundStatus

STDIN = "-"


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
        for name in inputs:
            try:
                raw = _read(name)
            except CommandError as exc:
                self.stderr.write(f"{name}: {exc}")
                unreadable += 1
                continue
            event, created = services.record_raw_mail(raw, source=f"ingest_mail:{name}")
            event = _settled(event)
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


def _read(name: str) -> bytes:
    try:
        raw = sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    except OSError as exc:
        raise CommandError(_("cannot read: %(reason)s") % {"reason": exc.strerror or exc}) from exc
    if not raw.strip():
        raise CommandError(_("empty input, nothing to ingest"))
    return raw


def _settled(event: InboundEvent) -> InboundEvent:
    """The event after processing. With a worker running, processing may not have happened
    yet; doing it here is safe (it is idempotent and locks the row) and gives the outcome."""
    event.refresh_from_db()
    if event.status == InboundStatus.RECEIVED:
        return services.process_inbound(event.pk)
    return event


def _status(event: InboundEvent) -> str:
    if event.status == InboundStatus.FAILED:
        return f"failed: {event.error}"
    return str(event.status)
