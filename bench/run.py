"""`make bench`: throughput of the inbound path and latency of the agent pages.

Runs against throwaway embedded servers (or DATABASE_URL/REDIS_URL), writes
bench/results.json and a table in bench/RESULTS.md. Numbers, never assertions.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKETS = int(os.environ.get("BENCH_TICKETS", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def timed_requests(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples, queries = [], []
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(captured))
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "queries": max(queries),
    }


def main() -> dict:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from helpdesk.models import User
    from tickets.inbound import IncomingMessage
    from tickets.services import receive_message

    call_command("migrate", verbosity=0)
    results: dict = {}

    start = time.perf_counter()
    for n in range(TICKETS):
        receive_message(
            IncomingMessage(
                channel="email" if n % 2 else "web",
                identity_kind="email",
                handle=f"customer{n % 500}@example.jp",
                display_name=f"顧客 {n % 500}",
                subject=f"注文 {n} について / About order {n}",
                body_text="商品がまだ届いていません。The parcel has not arrived yet.\n" * 5,
                external_id=f"<bench-{n}@example.jp>",
            )
        )
    elapsed = time.perf_counter() - start
    results["receive_message"] = {
        "messages": TICKETS,
        "seconds": round(elapsed, 2),
        "per_second": round(TICKETS / elapsed, 1),
    }

    agent, _ = User.objects.get_or_create(
        email="bench-agent@example.com", defaults={"role": "agent", "name": "Bench"}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    client.get("/agent/")  # warm caches, templates, translations
    from tickets.models import Ticket

    ticket = Ticket.objects.order_by("-id").first()
    results["inbox_page"] = timed_requests(client, "/agent/?view=all")
    results["ticket_page"] = timed_requests(client, f"/agent/tickets/{ticket.pk}/")
    results["api_ticket_list"] = timed_requests(client, "/api/v1/tickets/")
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "tickets_in_db": Ticket.objects.count(),
        "requests_per_page": REQUESTS,
    }
    return results


def write(results: dict) -> None:
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    rows = [
        "| measurement | result |",
        "| --- | --- |",
        f"| receive_message (ORM, one process) | {results['receive_message']['per_second']} "
        f"messages/s over {results['receive_message']['messages']} messages |",
    ]
    for key, label in [
        ("inbox_page", "inbox page `/agent/?view=all` (100 rows)"),
        ("ticket_page", "ticket page"),
        ("api_ticket_list", "API `GET /api/v1/tickets/` (50 rows)"),
    ]:
        r = results[key]
        rows.append(
            f"| {label} | p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, "
            f"{r['queries']} queries |"
        )
    machine = results["machine"]
    text = (
        "# Benchmarks\n\n"
        "Produced by `make bench` (bench/run.py) against the embedded PostgreSQL 16 and Redis, "
        "in-process Django test client (no network), "
        f"{machine['tickets_in_db']} tickets in the database, {machine['requests_per_page']} "
        f"requests per page. Machine: {machine['cpus']} CPUs, Python {machine['python']}, "
        f"{machine['platform']}.\n\n" + "\n".join(rows) + "\n"
    )
    (ROOT / "bench" / "RESULTS.md").write_text(text)
    print(text)


if __name__ == "__main__":
    write(main())
