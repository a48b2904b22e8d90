"""Mail ingest throughput: raw RFC 822 bytes → stored InboundEvent → committed ticket.

    DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/mail_ingest.py [--mails N] [--batch 50]
        [--profile FILE] [--phases] [--without-sla]

The path is exactly the IMAP/POP3 poller's: a fetched batch (`--batch`, default 50 as the
poller fetches) is stored raw with one INSERT in the poller's transaction
(`inbound_batch.record_raw_mails`), then its one task processes the batch in one transaction
(parse, loop screening, customer, thread, ticket, attachments, SLA, automations, live
publish) — `manage.py ingest_mail` and the inbound-mail webhooks store and file the same way.
`--batch 0` is the one-mail-at-a-time path (`record_raw_mail`, then a task per mail: what the
retry sweep, `replay_inbound` and a batch that failed together fall back to). Run inline here,
in this one process, as one worker process would; `--profile FILE` writes a pyinstrument
profile of the ingest. CPU is reported for both sides: this process (`process_time`) and the
PostgreSQL backend serving it (from /proc), so a change that moves work into SQL shows.
The search vector is refreshed by the batched task of tickets.search_queue a moment later (on
the `default` queue): here it runs after the mails, in this same process, and is reported
separately and as part of "including indexing". `--without-sla` disconnects the sla app's
`ticket_changed` receivers, to measure the rest of the path on its own; `--phases` times each
step (worker and PostgreSQL CPU).
The mix: plain English, HTML with an inline image, ISO-2022-JP and Shift_JIS Japanese, replies
threading onto earlier tickets, and a 1 MB PDF attachment on one mail in 20. Also measures
parsing alone. Reports mails/s per worker process, SQL queries per mail, p50/p99 per mail
(batched: the batch's time shared by its mails); writes bench/mail_ingest.json; numbers,
never assertions.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import platform
import sys
import tempfile
import time
import uuid
import weakref
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENDERS = 400  # distinct customers; keeps every sender far below the storm limit
MEGABYTE_EVERY = 20  # one mail in 20 carries a 1 MB attachment
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _base(n: int, sender: str, subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "support@madoguchi.localhost"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<bench-{n}-{uuid.uuid4().hex}@example.jp>"
    mail["Date"] = "Sun, 22 Nov 2026 10:00:00 +0900"
    return mail


def make_mail(n: int, pdf: bytes) -> bytes:
    sender_no = n % SENDERS
    kind = n % 5
    if kind == 0:
        mail = _base(n, f"Customer {sender_no} <c{sender_no}@example.com>", f"Order {n}")
        mail.set_content(f"Hello,\n\nmy order {n} has not arrived yet.\n\nRegards\n")
    elif kind == 1:
        mail = _base(n, f"c{sender_no}@example.com", f"Invoice {n}")
        mail.set_content("Please see below.")
        mail.add_alternative(
            f"<html><body><p>Invoice <b>{n}</b> is wrong.</p>"
            '<img src="cid:logo@x"><script>alert(1)</script></body></html>',
            subtype="html",
        )
        mail.get_payload()[1].add_related(PNG, "image", "png", cid="<logo@x>")
    elif kind == 2:
        mail = _base(n, f"山田 {sender_no} <yamada{sender_no}@example.jp>", f"配送について {n}")
        mail.set_content(
            "お世話になっております。\n注文した商品がまだ届きません。\n確認をお願いします。\n",
            charset="iso-2022-jp",
        )
    elif kind == 3:  # 8-bit Shift_JIS (CP932: ① and ②), as Japanese Windows mailers send
        return (
            f"From: sato{sender_no}@example.jp\r\nTo: support@madoguchi.localhost\r\n"
            f"Subject: =?ISO-2022-JP?B?GyRCSlZJShsoQg==?= {n}\r\n"
            f"Message-ID: <bench-{n}-{uuid.uuid4().hex}@example.jp>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=Shift_JIS\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
        ).encode() + "サイズが合わないので返品したいです。①②の手順を教えてください。\r\n".encode(
            "cp932"
        )
    else:  # a reply quoting history, threading by the ticket token of an earlier mail
        mail = _base(n, f"c{sender_no}@example.com", f"Re: Order {n - 4} [#1]")
        mail.set_content(
            "Any news?\n\nOn Sun, Nov 22, 2026 at 10:00 AM Support <support@madoguchi.localhost>"
            " wrote:\n> We are checking.\n"
        )
    if n % MEGABYTE_EVERY == 0:
        mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="請求書.pdf")
    return mail.as_bytes()


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


class _Backend:
    """CPU time of this connection's PostgreSQL backend process, read from /proc (the server
    runs on this machine): pg_stat_statements is not installed, and this also counts what
    statements cost outside their execution (parse, commit, WAL)."""

    def __init__(self, connection) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.path = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        self.tick = os.sysconf("SC_CLK_TCK")

    def cpu_seconds(self) -> float | None:
        try:
            fields = self.path.read_text().rpartition(")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime


def _per_mail(seconds: float | None, mails: int) -> float | None:
    return None if seconds is None else round(seconds * 1000 / mails, 2)


def _disconnect_sla() -> None:
    """Every `ticket_changed` receiver of the sla app, off for this run (the SLA work is
    measured on its own by the sla benchmarks)."""
    from tickets.signals import ticket_changed

    for (uid, _sender), reference, *_rest in list(ticket_changed.receivers):
        receiver = reference() if isinstance(reference, weakref.ReferenceType) else reference
        if getattr(receiver, "__module__", "").split(".")[0] == "sla":
            ticket_changed.disconnect(receiver, dispatch_uid=uid if isinstance(uid, str) else None)


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=int(os.environ.get("BENCH_MAILS", "1000")))
    parser.add_argument("--profile", help="write a pyinstrument text profile of the ingest here")
    parser.add_argument(
        "--phases",
        action="store_true",
        help="time each step and each ticket_changed receiver (bench/mail_ingest_phases.py)",
    )
    parser.add_argument(
        "--without-sla",
        action="store_true",
        help="disconnect the SLA app's ticket_changed receivers, to measure the rest of the path",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=50,
        help="mails stored and processed together, as the poller fetches them (default 50, "
        "the IMAP/POP3 batch); 0 = one mail at a time through record_raw_mail",
    )
    args = parser.parse_args()

    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from channels_in import inbound_batch, services
    from channels_in.mail.parse import parse_mail
    from channels_in.models import InboundEvent, InboundStatus
    from helpdesk.celery import app as celery_app
    from tickets import search_queue
    from tickets.models import Ticket

    logging.disable(logging.INFO)  # a log line per task would be measured too
    if args.without_sla:
        _disconnect_sla()
    media = tempfile.TemporaryDirectory(prefix="bench-mail-media-")
    settings.MEDIA_ROOT = media.name
    # The worker's work, inline: the on-commit hook of record_raw_mail runs the task here.
    celery_app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)
    search_queue.drain_search_queue()  # marks left by an earlier, interrupted run

    pdf = b"%PDF-1.4\n" + os.urandom(1024 * 1024)
    mails = [make_mail(n, pdf) for n in range(args.mails)]
    total_bytes = sum(len(raw) for raw in mails)

    start = time.perf_counter()
    for raw in mails:
        parse_mail(raw)
    parse_seconds = time.perf_counter() - start

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    backend = _Backend(connection)
    first_event = InboundEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    first_ticket = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    per_mail: list[float] = []
    # The debounced refresh task is held back until the burst is in, as its countdown would.
    schedule, search_queue._schedule = search_queue._schedule, lambda: None
    try:
        phases = None
        if args.phases:
            from bench.mail_ingest_phases import Phases

            phases = Phases(backend)
            phases.install()
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        with connection.execute_wrapper(count):
            cpu = time.process_time()
            backend_cpu = backend.cpu_seconds()
            start = time.perf_counter()
            if args.batch <= 0:
                for raw in mails:
                    began = time.perf_counter()
                    services.record_raw_mail(raw, source="bench")
                    per_mail.append((time.perf_counter() - began) * 1000)
            for first in range(0, len(mails) if args.batch > 0 else 0, max(args.batch, 1)):
                chunk = mails[first : first + args.batch]
                began = time.perf_counter()
                # The poller's transaction: raws (and its checkpoint) commit, then the batch
                # is processed by its task — inline here, at the commit.
                with transaction.atomic():
                    inbound_batch.record_raw_mails(chunk, source="bench")
                per_mail += [(time.perf_counter() - began) * 1000 / len(chunk)] * len(chunk)
            ingest_seconds = time.perf_counter() - start
            ingest_cpu = time.process_time() - cpu
            ingest_backend_cpu = backend.cpu_seconds() - backend_cpu
            ingest_queries = queries
            if profiler is not None:
                profiler.stop()
                Path(args.profile).write_text(profiler.output_text(unicode=True, show_all=False))
            start = time.perf_counter()
            backend_cpu = backend.cpu_seconds()
            index_cpu = time.process_time()
            indexed = search_queue.drain_search_queue()
            index_seconds = time.perf_counter() - start
            index_cpu = time.process_time() - index_cpu
            index_backend_cpu = backend.cpu_seconds() - backend_cpu
    finally:
        search_queue._schedule = schedule

    events = InboundEvent.objects.filter(pk__gt=first_event)
    processed = events.filter(status=InboundStatus.PROCESSED).count()
    new_tickets = Ticket.objects.filter(pk__gt=first_ticket)
    results = {
        "mails": args.mails,
        "batch": max(args.batch, 0),
        "megabytes": round(total_bytes / 1e6, 1),
        "per_worker_per_second": round(args.mails / ingest_seconds, 1),
        "per_worker_per_second_including_index": round(
            args.mails / (ingest_seconds + index_seconds), 1
        ),
        "ingest_per_second": round(args.mails / ingest_seconds, 1),  # the earlier key
        "ingest_ms_per_mail": round(ingest_seconds * 1000 / args.mails, 2),
        "p50_ms": round(percentile(per_mail, 50), 2),
        "p99_ms": round(percentile(per_mail, 99), 2),
        "cpu_ms_per_mail": round(ingest_cpu * 1000 / args.mails, 2),
        # The PostgreSQL backend serving this worker (user + system time from /proc; None
        # when the server runs elsewhere): the other half of what a mail costs the machine.
        "pg_backend_cpu_ms_per_mail": _per_mail(ingest_backend_cpu, args.mails),
        "total_cpu_ms_per_mail": _per_mail(
            None if ingest_backend_cpu is None else ingest_cpu + ingest_backend_cpu, args.mails
        ),
        "queries_per_mail": round(ingest_queries / args.mails, 1),
        "index_batch": {
            "tickets": indexed,
            "seconds": round(index_seconds, 2),
            "queries": queries - ingest_queries,
            "cpu_ms_per_mail": round(index_cpu * 1000 / args.mails, 2),
            "pg_backend_cpu_ms_per_mail": _per_mail(index_backend_cpu, args.mails),
        },
        "parse_only_per_second": round(args.mails / parse_seconds, 1),
        "phases_per_mail": phases.report(args.mails) if phases else None,
        "processed": processed,
        "not_processed": events.exclude(status=InboundStatus.PROCESSED).count(),
        "tickets_unindexed": new_tickets.filter(search_vector__isnull=True).count(),
        "target_per_worker_per_second": 200,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average": [round(load, 1) for load in os.getloadavg()],
        },
    }
    (ROOT / "bench" / "mail_ingest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"{args.mails} mails ({results['megabytes']} MB, 1 in {MEGABYTE_EVERY} with 1 MB): "
        f"{results['per_worker_per_second']} mails/s per worker end to end "
        f"(p50 {results['p50_ms']} ms, p99 {results['p99_ms']} ms, "
        f"{results['cpu_ms_per_mail']} ms CPU + {results['pg_backend_cpu_ms_per_mail']} ms "
        f"PostgreSQL CPU, {results['queries_per_mail']} queries a mail); "
        f"{results['per_worker_per_second_including_index']} mails/s including the batched "
        f"search refresh ({indexed} tickets in {results['index_batch']['seconds']} s); "
        f"parse alone {results['parse_only_per_second']} mails/s; processed {processed}, "
        f"other {results['not_processed']}"
    )
    for step, cost in (results["phases_per_mail"] or {}).items():
        print(
            f"  {step:58s} {cost['wall_ms']:6.2f} ms wall {cost['cpu_ms']:6.2f} ms CPU "
            f"{cost['pg_cpu_ms']:6.2f} ms PostgreSQL CPU a mail"
        )
    media.cleanup()
    return results


if __name__ == "__main__":
    main()
