"""`manage.py reindex_tickets`: rebuild ticket search vectors (after the migration, or a change
to helpdesk.search). Batches of tickets, each in its own short transaction, newest first so the
tickets agents look at become searchable soonest."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from tickets.models import Ticket
from tickets.search_index import BATCH_SIZE, tickets_search_refresh


class Command(BaseCommand):
    help = "Rebuild the full-text search vectors of tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing", action="store_true", help="Only tickets that have no search vector yet."
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, missing: bool = False, batch_size: int = BATCH_SIZE, **options) -> None:
        tickets = Ticket.objects.all()
        if missing:
            tickets = tickets.filter(search_vector__isnull=True)
        total = tickets.count()
        started = time.perf_counter()
        done = 0
        batch_size = max(1, batch_size)
        last_id: int | None = None
        while True:
            # Keyset pages: a million ids are never held at once, and --missing shrinks as it goes.
            page = tickets if last_id is None else tickets.filter(pk__lt=last_id)
            ids = list(page.order_by("-pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            with transaction.atomic():
                done += tickets_search_refresh(ids)
            last_id = ids[-1]
            if options["verbosity"] > 1:
                self.stdout.write(f"{done}/{total}")
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Reindexed {done} tickets in {elapsed:.1f} s."))
