"""`manage.py replay_inbound [--failed] [ID …]`: process stored raw events again."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels_in import services
from channels_in.models import InboundEvent, InboundStatus


class Command(BaseCommand):
    help = (
        "Re-run processing for the given inbound events, or every failed one with --failed. "
        "Already processed events are left as they are. Prints: id, channel, status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID")
        parser.add_argument("--failed", action="store_true", help="replay every failed event")

    def handle(self, *args: object, ids: list[int], failed: bool, **options: object) -> None:
        if not ids and not failed:
            raise CommandError(_("Give event ids, or --failed to replay every failed event."))
        wanted = list(dict.fromkeys(ids))
        if failed:
            wanted += [
                pk
                for pk in InboundEvent.objects.filter(status=InboundStatus.FAILED)
                .order_by("pk")
                .values_list("pk", flat=True)
                if pk not in wanted
            ]
        known = set(InboundEvent.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        for pk in wanted:
            if pk not in known:
                self.stderr.write(_("%(id)s: no such inbound event") % {"id": pk})
                continue
            event = services.process_inbound(pk)
            result = (
                f"failed: {event.error}" if event.status == InboundStatus.FAILED else event.status
            )
            self.stdout.write(f"{event.pk}\t{event.kind}\t{result}")
        missing = len([pk for pk in wanted if pk not in known])
        if missing:
            raise CommandError(
                ngettext(
                    "%(count)d event was not found.", "%(count)d events were not found.", missing
                )
                % {"count": missing}
            )
