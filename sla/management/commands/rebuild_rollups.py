"""`manage.py rebuild_rollups [--since DATE] [--days-only]`: recompute the dashboard rollups from
the stored per-ticket measurements and CSAT responses (after the migration, a restore, or
deleting tickets). A day per transaction; the dashboards stay readable meanwhile.

After migration 0007 (the per-tag tables, the assignee of clock rows, the agent day rows'
counters) run it without `--days-only` once: that fills the tag rows.

`--days-only` re-sums only the day rollups from the hourly rows already there (after a change
of TIME_ZONE, say): minutes instead of the hour a full rebuild of millions of tickets takes."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sla import rollup_days, rollups


class Command(BaseCommand):
    help = "Rebuild the SLA dashboard rollups (hourly) from the stored per-ticket measurements."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            help="Only hours from this date (YYYY-MM-DD, in the site's time zone) on.",
        )
        parser.add_argument(
            "--days-only",
            action="store_true",
            help="Only re-sum the day rollups from the hourly rows already there.",
        )

    def handle(self, *args, since: str | None = None, days_only: bool = False, **options) -> None:
        start = None
        if since:
            try:
                day = dt.date.fromisoformat(since)
            except ValueError as error:
                raise CommandError(f"--since must be a date like 2026-01-31: {error}") from None
            start = dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())
        began = time.perf_counter()
        if days_only:
            written = rollup_days.backfill(since=start)
        else:
            written = rollups.rebuild_all(since=start)
        # Marks left by events before the rebuild are now covered by it.
        rollups.process_dirty_hours()
        self.stdout.write(f"rebuilt rollups: {written} rows in {time.perf_counter() - began:.1f} s")
