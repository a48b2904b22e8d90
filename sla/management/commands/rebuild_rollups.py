"""`manage.py rebuild_rollups [--since DATE] [--until DATE] [--tags-only] [--days-only]`:
recompute the dashboard rollups from the stored per-ticket measurements and CSAT responses
(after the migration, a restore, or deleting tickets). A day per transaction; the dashboards
stay readable meanwhile.

After migration 0007 (the per-tag tables, the assignee of clock rows, the agent day rows'
counters) run it once: that fills the tag rows. `--tags-only` rewrites only the per-tag tables
(hourly, clock and day rows), so the history before the tag rows began can be filled with
`--tags-only --until DATE` without rewriting the rest.

`--days-only` re-sums only the day rollups from the hourly rows already there (after a change
of TIME_ZONE, say): minutes instead of the hour a full rebuild of millions of tickets takes."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sla import rollup_days, rollups


def _start_of(value: str, option: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{option} must be a date like 2026-01-31: {error}") from None
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


class Command(BaseCommand):
    help = "Rebuild the SLA dashboard rollups (hourly) from the stored per-ticket measurements."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            help="Only hours from this date (YYYY-MM-DD, in the site's time zone) on.",
        )
        parser.add_argument(
            "--until",
            help="Only hours before this date (YYYY-MM-DD, in the site's time zone).",
        )
        parser.add_argument(
            "--tags-only",
            action="store_true",
            help="Only the per-tag rollups (hourly, clock and day rows).",
        )
        parser.add_argument(
            "--days-only",
            action="store_true",
            help="Only re-sum the day rollups from the hourly rows already there.",
        )

    def handle(
        self,
        *args,
        since: str | None = None,
        until: str | None = None,
        tags_only: bool = False,
        days_only: bool = False,
        **options,
    ) -> None:
        start = _start_of(since, "--since") if since else None
        stop = _start_of(until, "--until") if until else None
        if start and stop and stop <= start:
            raise CommandError("--until must be after --since.")
        if days_only and (stop or tags_only):
            raise CommandError("--days-only takes --since only.")
        verbosity = options.get("verbosity", 1)

        def progress(moment: dt.datetime, written: int) -> None:
            local = moment.astimezone(timezone.get_default_timezone())
            if verbosity > 1 or local.day == 1:
                self.stdout.write(f"  {local:%Y-%m-%d}: {written} rows so far")
                self.stdout.flush()

        began = time.perf_counter()
        if days_only:
            written = rollup_days.backfill(since=start)
        else:
            written = rollups.rebuild_all(
                since=start, until=stop, tags_only=tags_only, progress=progress
            )
        # Marks left by events before the rebuild are now covered by it.
        rollups.process_dirty_hours()
        self.stdout.write(f"rebuilt rollups: {written} rows in {time.perf_counter() - began:.1f} s")
