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
SEARCH_REQUESTS = int(os.environ.get("BENCH_SEARCH_REQUESTS", "50"))  # per query
# Mixed topics, so that a search selects some tickets rather than all of them.
TOPICS = [
    ("返品・交換について", "サイズが合わなかったので返品したいです。交換もできますか。"),
    ("注文した商品が届きません", "商品がまだ届いていません。配送状況を教えてください。"),
    ("請求書の再発行", "先月分の請求書を再発行していただけますか。"),
    ("Refund for a damaged item", "The mug arrived cracked. Could I get a refund or a replacement?"),
    ("Parcel has not arrived", "The parcel has not arrived yet. Could you check the shipping status?"),
    ("Cannot log in", "I reset my password twice but the login page still says it is wrong."),
]
SEARCHES = ["返品", "届", "配送状況", "返品したい 交換", "refund", "parcel arrived",
            "status:unsolved 返品", "from:@example.jp 請求書"]


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


def timed_searches(client, base_url: str, viewer) -> dict:
    """p50/p95 over every query of SEARCHES, and per query."""
    from urllib.parse import urlencode

    from tickets.selectors import search_tickets

    everything: list[float] = []
    per_query: dict[str, dict] = {}
    for query in SEARCHES:
        samples, queries = _search_samples(client, f"{base_url}?{urlencode({'q': query})}")
        rows = len(search_tickets(viewer=viewer, query=query))
        everything.extend(samples)
        per_query[query] = {
            "p50_ms": round(percentile(samples, 50), 2),
            "p95_ms": round(percentile(samples, 95), 2),
            "queries": queries,
            "rows": rows,
        }
    return {
        "p50_ms": round(percentile(everything, 50), 2),
        "p95_ms": round(percentile(everything, 95), 2),
        "p99_ms": round(percentile(everything, 99), 2),
        "queries": max(item["queries"] for item in per_query.values()),
        "per_query": per_query,
    }


def _search_samples(client, url: str) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples, queries = [], 0
    for _ in range(SEARCH_REQUESTS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = max(queries, len(captured))
    return samples, queries


def search_write_cost(receive_seconds: dict[bool, list[float]]) -> dict:
    """What keeping the search vector fresh adds to a write, measured three ways."""
    from tickets.models import Ticket
    from tickets.search_index import tickets_search_refresh

    ids = list(Ticket.objects.order_by("-id").values_list("pk", flat=True)[:200])
    refresh = []
    for ticket_id in ids:
        start = time.perf_counter()
        tickets_search_refresh([ticket_id])
        refresh.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    for offset in range(0, len(ids), 100):
        tickets_search_refresh(ids[offset : offset + 100])
    batch_rate = len(ids) / (time.perf_counter() - start)
    with_refresh, without = receive_seconds[True], receive_seconds[False]
    mean_with = sum(with_refresh) / len(with_refresh) * 1000
    mean_without = sum(without) / len(without) * 1000
    return {
        "refresh_p50_ms": round(percentile(refresh, 50), 2),
        "refresh_p95_ms": round(percentile(refresh, 95), 2),
        "long_ticket_refresh_ms": _long_ticket_refresh_ms(),
        "receive_ms_with_refresh": round(mean_with, 2),
        "receive_ms_without_refresh": round(mean_without, 2),
        "reindex_per_second": round(batch_rate, 1),
    }


def _long_ticket_refresh_ms() -> float:
    """The cap's worst case: a conversation with more than 20k characters of Japanese."""
    from tickets.models import Message, Ticket
    from tickets.search_index import ticket_search_refresh

    first = Ticket.objects.select_related("customer").order_by("id").first()
    ticket = Ticket.objects.create(subject="長い会話", channel="chat", customer=first.customer)
    Message.objects.bulk_create(
        Message(ticket=ticket, author_kind="customer", channel="chat",
                body_text=f"{n}回目：{TOPICS[n % 3][1]}" * 8)
        for n in range(60)
    )
    samples = []
    for _ in range(20):
        start = time.perf_counter()
        ticket_search_refresh(ticket)
        samples.append((time.perf_counter() - start) * 1000)
    return round(percentile(samples, 50), 2)


def main() -> dict:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from helpdesk.models import User
    from tickets import services
    from tickets.inbound import IncomingMessage
    from tickets.search_index import tickets_search_refresh

    call_command("migrate", verbosity=0)
    results: dict = {}

    # Blocks of 50 alternate with and without the search refresh, so both see the same table
    # sizes; the tickets written without it are indexed afterwards.
    refresh = services.ticket_search_refresh
    receive_seconds: dict[bool, list[float]] = {True: [], False: []}
    start = time.perf_counter()
    for n in range(TICKETS):
        indexed = (n // 50) % 2 == 0
        services.ticket_search_refresh = refresh if indexed else (lambda ticket: None)
        subject, body = TOPICS[n % len(TOPICS)]
        domain = "example.jp" if n % len(TOPICS) < 3 else "example.com"
        began = time.perf_counter()
        services.receive_message(
            IncomingMessage(
                channel="email" if n % 2 else "web",
                identity_kind="email",
                handle=f"customer{n % 500}@{domain}",
                display_name=f"顧客 {n % 500}" if domain == "example.jp" else f"Customer {n % 500}",
                subject=f"{subject}（注文 {n}）" if domain == "example.jp" else f"{subject} (order {n})",
                body_text=(body + "\n") * 5,
                external_id=f"<bench-{n}@example.jp>",
            )
        )
        receive_seconds[indexed].append(time.perf_counter() - began)
    elapsed = time.perf_counter() - start
    services.ticket_search_refresh = refresh
    from tickets.models import Ticket

    missing = list(Ticket.objects.filter(search_vector__isnull=True).values_list("pk", flat=True))
    for offset in range(0, len(missing), 200):
        tickets_search_refresh(missing[offset : offset + 200])
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
    client.get("/agent/?q=返品")  # warm caches, templates, translations, the tokenizer

    ticket = Ticket.objects.order_by("-id").first()
    results["inbox_page"] = timed_requests(client, "/agent/?view=all")
    results["ticket_page"] = timed_requests(client, f"/agent/tickets/{ticket.pk}/")
    results["api_ticket_list"] = timed_requests(client, "/api/v1/tickets/")
    results["search_page"] = timed_searches(client, "/agent/", agent)
    results["api_search"] = timed_searches(client, "/api/v1/tickets/", agent)
    results["search_write_cost"] = search_write_cost(receive_seconds)
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
        ("search_page", f"inbox search `/agent/?q=…` ({len(SEARCHES)} ja/en queries, all)"),
        ("api_search", "API search `GET /api/v1/tickets/?q=…` (same queries)"),
    ]:
        r = results[key]
        rows.append(
            f"| {label} | p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, "
            f"{r['queries']} queries |"
        )
    for query, r in results["search_page"]["per_query"].items():
        rows.append(
            f"| &nbsp;&nbsp;search `{query}` | p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
            f"{r['rows']} rows |"
        )
    cost = results["search_write_cost"]
    rows += [
        f"| search refresh of one ticket (3 queries) | p50 {cost['refresh_p50_ms']} ms, "
        f"p95 {cost['refresh_p95_ms']} ms |",
        f"| search refresh, 60-message Japanese ticket (20k-character cap) | "
        f"p50 {cost['long_ticket_refresh_ms']} ms |",
        f"| receive_message with / without the refresh | {cost['receive_ms_with_refresh']} ms / "
        f"{cost['receive_ms_without_refresh']} ms per message |",
        f"| reindex (batches of 100) | {cost['reindex_per_second']} tickets/s |",
    ]
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
