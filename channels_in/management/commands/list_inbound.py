"""`manage.py list_inbound [--status held|failed|…] [--kind email]`: what is waiting for an
admin (held and failed events by default), newest first, with the reason."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from channels_in.models import InboundEvent, InboundStatus


class Command(BaseCommand):
    help = (
        "List inbound events needing an admin (held and failed by default). Prints: id, "
        "channel, status, received at, reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--status", action="append", choices=list(InboundStatus.values), default=None
        )
        parser.add_argument("--kind", default="")
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args: object, status: list[str] | None, kind: str, limit: int, **_o) -> None:
        events = InboundEvent.objects.filter(
            status__in=status or [InboundStatus.HELD, InboundStatus.FAILED]
        )
        if kind:
            events = events.filter(kind=kind)
        for event in events.only("pk", "kind", "status", "received_at", "error")[:limit]:
            reason = " ".join(event.error.split())[:300]
            self.stdout.write(
                f"{event.pk}\t{event.kind}\t{event.status}\t"
                f"{event.received_at:%Y-%m-%d %H:%M:%S}\t{reason}"
            )
