"""`manage.py release_inbound ID…`: file held inbound events as ordinary messages.

For mail an admin has looked at and found real: a customer's message caught in a storm, or
written by a mailer that looks automatic. Blocked senders stay held until unblocked.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from channels_in import services
from channels_in.models import InboundStatus


class Command(BaseCommand):
    help = (
        "Process held inbound events (automatic mail, mail storms, our own addresses) as "
        "ordinary messages. Prints: id, channel, status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="+", type=int, metavar="ID")

    def handle(self, *args: object, ids: list[int], **options: object) -> None:
        refused = 0
        for pk in dict.fromkeys(ids):
            try:
                event = services.release_held_event(pk)
            except services.NotActionable:
                self.stderr.write(_("%(id)s: no held inbound event with this id") % {"id": pk})
                refused += 1
                continue
            result = event.error if event.status == InboundStatus.FAILED else event.status
            self.stdout.write(f"{event.pk}\t{event.kind}\t{result}")
        if refused:
            raise CommandError(_("Some ids were not held inbound events."))
