"""`manage.py bench_rollups [--rate 100] [--seconds 60]`: what keeping the dashboard rollups
current costs at a given event rate, measured on the data at hand (no timing is asserted).

Ticket events touch the rollups in two places: inside each event's transaction they insert a
mark for every hour whose facts changed (`rollups.mark_hours`), and the minute task rebuilds
the marked hours and their days (`rollups.process_dirty_hours`). This command replays what
`rate × seconds` events leave behind — a mark for the current hour per event, and for about a
third of them (first replies) the creation hour of an unsolved ticket, as a reply does — then
times the marking and one run of the minute task over those marks. It writes only the sla
rollup tables (marks and rebuilt rows), so it is safe on a shared copy of production data.
Keeping up means the minute task's run over one minute of events takes well under a minute.
On a shared machine wall time says little, so the command also reports CPU seconds: this
process's (`time.process_time`) plus the PostgreSQL backend's that ran the task's SQL (read
from /proc for the backend pid, on a server on the same host), and the headroom they leave.
"""

from __future__ import annotations

import os
import random
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from sla import rollups
from sla.models import RollupDirtyHour, TicketSla


class Command(BaseCommand):
    help = "Measure the dashboard rollup maintenance cost at an event rate (default 100/s)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rate", type=int, default=100, help="events per second")
        parser.add_argument("--seconds", type=int, default=60, help="seconds of events")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, rate: int, seconds: int, seed: int, **options) -> None:
        chance = random.Random(seed)
        events = rate * seconds
        now = timezone.now()
        waiting = list(
            TicketSla.objects.filter(solved_at__isnull=True, first_reply_at__isnull=True)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:5000]
        ) or [now]
        rollups.process_dirty_hours()  # start from a clean slate: earlier marks are not ours
        began = time.perf_counter()
        for _ in range(events):
            moments = [now]
            if chance.random() < 1 / 3:  # a first reply also changes its ticket's creation hour
                moments.append(chance.choice(waiting))
            with transaction.atomic():
                rollups.mark_hours(*moments)
        marking = time.perf_counter() - began
        marks = RollupDirtyHour.objects.count()
        backend = _backend_pid()
        began, cpu, sql_cpu = time.perf_counter(), time.process_time(), _cpu_of(backend)
        hours = rollups.process_dirty_hours(limit=marks + 1)
        rebuild, cpu = time.perf_counter() - began, time.process_time() - cpu
        sql_cpu = _cpu_of(backend) - sql_cpu if sql_cpu is not None else None
        self.stdout.write(
            f"{events} events ({rate}/s for {seconds} s): {marks} marks, "
            f"marking {1000 * marking / events:.2f} ms/event (inside each event's transaction); "
            f"minute task rebuilt {hours} hours and their days in {rebuild:.2f} s "
            f"= {100 * rebuild / seconds:.1f}% of the {seconds} s it has "
            f"({cpu:.2f} s of it this process's CPU; the rest is PostgreSQL and waiting)"
        )
        if sql_cpu is not None:
            total = cpu + sql_cpu
            self.stdout.write(
                f"CPU: {cpu:.2f} s task + {sql_cpu:.2f} s PostgreSQL = {total:.2f} s for {events} "
                f"events ({1000 * total / events:.2f} ms/event); one core keeps up with "
                f"{events / total if total else float('inf'):.0f} events/s = "
                f"{seconds / total if total else float('inf'):.1f}× headroom at {rate}/s"
            )


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of a process on this host (None when /proc does not show it,
    e.g. a database on another machine)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
