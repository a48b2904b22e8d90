"""What beat's periodic tasks cost on the 1M-ticket database: each entry of
`helpdesk.celery.app.conf.beat_schedule` run RUNS times in this process, inside a transaction
that is rolled back (so the shared data set is left as it was), with the SQL it sends.

    DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/load_beat.py [--runs 3]

Per entry: how often beat sends it, wall and CPU time of a run (Python in this process; the
SQL column is the time PostgreSQL took, on the other core), queries, and the share of one
core the entry keeps busy (mean wall ÷ schedule period). Tasks that a run queues run inline
(eager), so their cost is counted too. Writes bench/load_beat.json; numbers, never assertions.
Run it on a quiet machine for absolute numbers; on a shared one the ratios still rank them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class _Rollback(Exception):
    pass


def _period(schedule) -> float | None:
    seconds = getattr(schedule, "total_seconds", None)
    if isinstance(schedule, int | float):
        return float(schedule)
    if seconds is not None:
        return float(seconds())
    run_every = getattr(schedule, "run_every", None)  # a celery `schedule`
    if run_every is not None:
        return float(run_every.total_seconds())
    return None  # a crontab: reported as such


def measure(runs: int) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from helpdesk.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules, as a worker imports them
    app.conf.task_always_eager = True  # what a run queues is part of its cost
    results = {}
    for entry, spec in app.conf.beat_schedule.items():
        task = app.tasks[spec["task"]]
        period = _period(spec["schedule"])
        rows, error, slowest = [], None, {"ms": 0.0, "sql": ""}
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as queries:
                try:
                    with transaction.atomic():
                        task.run(*spec.get("args", ()), **spec.get("kwargs", {}))
                        raise _Rollback
                except _Rollback:
                    pass
                except Exception as exc:  # noqa: BLE001 - reported with the entry
                    error = f"{type(exc).__name__}: {str(exc)[:200]}"
            for query in queries.captured_queries:
                if float(query.get("time") or 0) * 1000 > slowest["ms"]:
                    ms = round(float(query["time"]) * 1000, 1)
                    slowest = {"ms": ms, "sql": query["sql"][:300]}
            rows.append(
                {
                    "wall_ms": (time.perf_counter() - wall) * 1000,
                    "cpu_ms": (time.process_time() - cpu) * 1000,
                    "sql_ms": sum(float(q.get("time") or 0) for q in queries.captured_queries)
                    * 1000,
                    "queries": len(queries.captured_queries),
                }
            )
        warm = rows[1:] or rows  # the first run pays for cold caches
        mean = {k: round(sum(r[k] for r in warm) / len(warm), 1) for k in rows[0]}
        results[entry] = {
            "task": spec["task"],
            "every_s": period,
            "schedule": None if period else str(spec["schedule"]),
            "first_run_wall_ms": round(rows[0]["wall_ms"], 1),
            **{f"mean_{k}": v for k, v in mean.items()},
            "share_of_one_core": round(mean["wall_ms"] / 1000 / period, 4) if period else None,
            "error": error,
            "slowest_query": slowest,
        }
    return dict(sorted(results.items(), key=lambda item: -(item[1]["share_of_one_core"] or 0)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    result = {"runs": args.runs, "load_average": round(os.getloadavg()[0], 2)}
    result["entries"] = measure(args.runs)
    (ROOT / "bench" / "load_beat.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| entry | every s | wall ms | cpu ms | sql ms | queries | share of one core | error |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for entry, row in result["entries"].items():
        print(
            f"| {entry} | {row['every_s'] or row['schedule']} | {row['mean_wall_ms']} | "
            f"{row['mean_cpu_ms']} | {row['mean_sql_ms']} | {row['mean_queries']} | "
            f"{row['share_of_one_core']} | {row['error'] or ''} |"
        )


if __name__ == "__main__":
    main()
