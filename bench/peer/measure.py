"""Measured inside the django-helpdesk venv (started by bench/peer/run.py, never by hand).

1. Email import: the mixed corpus of bench/mail_ingest.py (the same generator, so the same
   mails), each through django-helpdesk's own importer exactly as its IMAP/POP/local-dir paths
   call it: raw bytes → `force_str(…, errors="replace")` → `helpdesk.email.extract_email_metadata`
   (parse, ticket or follow-up, attachments, CC, notification mails) → committed rows.
2. Agent pages with the Django test client, as bench/run.py measures ours: the ticket list page
   (the HTML page *and* the DataTables JSON it loads its rows from, since the page alone shows
   no ticket) and the detail page of a ticket with 100 follow-ups.

Prints one JSON object on stdout; run.py adds the ratios.
"""

from __future__ import annotations

import json
import logging
import os
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # bench/: the mail generator of mail_ingest.py
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import encoding, timezone  # noqa: E402
from helpdesk.email import extract_email_metadata  # noqa: E402
from mail_ingest import make_mail  # noqa: E402

from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

MAILS = int(os.environ.get("PEER_MAILS", "1000"))
TICKETS = int(os.environ.get("PEER_TICKETS", "10000"))
REQUESTS = int(os.environ.get("PEER_REQUESTS", "60"))
LONG_TICKET_FOLLOWUPS = 100


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def summary(samples: list[float], queries: int) -> dict:
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "queries": queries,
        "requests": len(samples),
    }


def import_mails(queue: Queue) -> dict:
    logger = logging.getLogger("peer.import")
    logger.setLevel(logging.WARNING)
    pdf = b"%PDF-1.4\n" + os.urandom(1024 * 1024)
    mails = [make_mail(n, pdf) for n in range(MAILS)]
    per_mail, queries, failed = [], 0, 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    before = Ticket.objects.count(), FollowUp.objects.count()
    with connection.execute_wrapper(count):
        cpu = time.process_time()
        start = time.perf_counter()
        for raw in mails:
            began = time.perf_counter()
            try:
                # What helpdesk.email.imap_sync / pop3_sync do with each fetched message.
                extract_email_metadata(
                    message=encoding.force_str(raw, errors="replace"), queue=queue, logger=logger
                )
            except Exception:  # noqa: BLE001 - counted, as a lost mail would be
                logger.exception("peer import failed")
                failed += 1
            per_mail.append((time.perf_counter() - began) * 1000)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
    return {
        "mails": MAILS,
        "megabytes": round(sum(len(raw) for raw in mails) / 1e6, 1),
        "per_second": round(MAILS / seconds, 1),
        "ms_per_mail": round(seconds * 1000 / MAILS, 2),
        "p50_ms": round(statistics.median(per_mail), 2),
        "p99_ms": round(percentile(per_mail, 99), 2),
        # This process's CPU alone: comparable when other work shares the machine.
        "cpu_ms_per_mail": round(cpu_seconds * 1000 / MAILS, 2),
        "queries_per_mail": round(queries / MAILS, 1),
        "failed": failed,
        "tickets_created": Ticket.objects.count() - before[0],
        "followups_created": FollowUp.objects.count() - before[1],
    }


def load_tickets(queue: Queue) -> Ticket:
    """TICKETS tickets with a follow-up each, and one ticket with 100 follow-ups."""
    now = timezone.now()
    have = Ticket.objects.filter(queue=queue, title__startswith="Bench ").count()
    batch = 2000
    for offset in range(have, TICKETS, batch):
        rows = [
            Ticket(
                title=f"Bench ticket {n} 配送について",
                queue=queue,
                submitter_email=f"c{n % 400}@example.com",
                created=now,
                modified=now,
                status=(Ticket.OPEN_STATUS, Ticket.REOPENED_STATUS, Ticket.RESOLVED_STATUS)[n % 3],
                priority=3,
                description=f"My order {n} has not arrived yet. 注文した商品がまだ届きません。",
            )
            for n in range(offset, min(offset + batch, TICKETS))
        ]
        created = Ticket.objects.bulk_create(rows)
        FollowUp.objects.bulk_create(
            FollowUp(
                ticket=ticket,
                title="E-Mail Received",
                date=now,
                public=True,
                comment=ticket.description,
            )
            for ticket in created
        )
    long_ticket = Ticket.objects.filter(queue=queue, title="Bench long ticket").first()
    if long_ticket is None:
        long_ticket = Ticket.objects.create(
            title="Bench long ticket",
            queue=queue,
            submitter_email="long@example.com",
            description="A long conversation.",
            priority=3,
        )
        FollowUp.objects.bulk_create(
            FollowUp(
                ticket=long_ticket,
                title=f"Reply {n}",
                date=now,
                public=n % 5 != 0,
                comment=f"Message {n}: 返品の手順を教えてください。Please advise.",
            )
            for n in range(LONG_TICKET_FOLLOWUPS)
        )
    return long_ticket


def timed(client: Client, url: str, **params) -> dict:
    response = client.get(url, params)  # warm-up (templates, caches)
    assert response.status_code == 200, (url, response.status_code)
    samples, queries = [], 0
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, params)
            samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = max(queries, len(captured))
    return summary(samples, queries)


def pages(long_ticket: Ticket) -> dict:
    user_model = get_user_model()
    agent, _ = user_model.objects.get_or_create(
        username="agent", defaults={"is_staff": True, "email": "agent@peer.localhost"}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    list_page = client.get("/helpdesk/tickets/")
    found = re.search(r"datatables_ticket_list/([A-Za-z0-9_=-]+)", list_page.content.decode())
    assert found, "the ticket list page names no DataTables URL"
    rows_url = f"/helpdesk/datatables_ticket_list/{found.group(1)}"
    first_page = {
        "draw": "1",
        "start": "0",
        "length": "25",
        "order[0][column]": "5",
        "order[0][dir]": "desc",
    }
    return {
        "ticket_list_page": timed(client, "/helpdesk/tickets/"),
        "ticket_list_rows": timed(client, rows_url, **first_page),
        "ticket_detail": timed(client, f"/helpdesk/tickets/{long_ticket.pk}/"),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    queue, _ = Queue.objects.get_or_create(
        slug="bench",
        defaults={
            "title": "Bench",
            "email_address": "support@madoguchi.localhost",
            "allow_email_submission": True,
            "email_box_type": "local",
        },
    )
    results = {"import": import_mails(queue)}
    if os.environ.get("PEER_IMPORT_ONLY"):  # run.py --import-only: the pages are kept as were
        print(json.dumps(results))
        return
    long_ticket = load_tickets(queue)
    results["tickets_loaded"] = Ticket.objects.count()
    results.update(pages(long_ticket))
    import helpdesk

    results["django_helpdesk"] = getattr(helpdesk, "__version__", None) or _version()
    results["django"] = django.get_version()
    print(json.dumps(results))


def _version() -> str:
    from importlib.metadata import version

    return version("django-helpdesk")


if __name__ == "__main__":
    main()
