"""`manage.py idle_mailboxes`: IMAP IDLE on every active IMAP mailbox; polls on arrival.

A long-running process beside the worker and beat (one is enough for all mailboxes, one
thread each). Beat keeps polling on each mailbox's interval regardless, so stopping this
process only makes mail wait for the interval again.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandParser

from channels_in.mailbox.idle import run_watchers

REFRESH_SECONDS = 60  # how soon a new or deactivated mailbox is noticed


class Command(BaseCommand):
    help = (
        "Hold an IMAP IDLE on every active IMAP mailbox and queue its poll the moment the "
        "server announces new mail. Runs until stopped (SIGTERM / Ctrl-C)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--refresh", type=float, default=REFRESH_SECONDS)

    def handle(self, *args: object, refresh: float, **options: object) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        run_watchers(
            stop,
            refresh=refresh,
            started=lambda account_id: self.stdout.write(f"watching mailbox {account_id}"),
        )
