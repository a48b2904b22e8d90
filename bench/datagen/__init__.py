"""The one benchmark data set every benchmark measures against (issue #11).

`python -m bench.datagen [--scale full|small|tiny]` fills the database of DATABASE_URL, or
`make bench` does it on its own embedded server under var/bench. Full scale is the issues'
shape: 1,000,000 tickets, ~5,000,000 messages, 200,000 customers, 100,000 articles, mixed
Japanese and English. Loading uses COPY with secondary indexes dropped and rebuilt once and
foreign-key triggers off (the generator writes consistent ids), so a full load takes minutes,
not hours. A stamp row records what was generated; `ensure_dataset` regenerates only when the
scale or the generator's version changed, or when the data is too old for "the last 90 days".
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

VERSION = 1
DERIVED_VERSION = 1  # bump when _derive fills more tables
SCALES = {
    "full": {
        "customers": 200_000,
        "tickets": 1_000_000,
        "messages": 5_000_000,
        "articles": 100_000,
    },
    "small": {"customers": 20_000, "tickets": 100_000, "messages": 500_000, "articles": 10_000},
    "tiny": {"customers": 2_000, "tickets": 10_000, "messages": 50_000, "articles": 1_000},
}
SEED = 20261122
MAX_AGE = timedelta(days=14)
LOADED_TABLES = [
    "customers_customer",
    "customers_identity",
    "tickets_ticket",
    "tickets_message",
    "tickets_ticket_tags",
    "sla_ticketsla",
    "feedback_survey",
    "feedback_surveyresponse",
    "customers_order",
    "customers_orderitem",
]


def drop_leftovers(generated_tickets: int, log=print) -> None:
    """Delete the tickets earlier benchmark runs added (mail ingest, chat, the load run).

    The generator numbers its tickets 1…N; every run of bench/mail_ingest.py, bench/chat.py and
    `make load` adds tickets after them, and those become the newest tickets every agent page
    and search starts from. Left there, runs measure a drifting data set: after a few runs the
    newest 4,000 tickets were bench mails and chats, and the inbox search's recent walk found
    no common word in them."""
    from tickets.models import Ticket

    started = time.perf_counter()
    extra = Ticket.objects.filter(pk__gt=generated_tickets)
    removed = 0
    while batch := list(extra.order_by("pk").values_list("pk", flat=True)[:1000]):
        Ticket.objects.filter(pk__in=batch).delete()
        removed += len(batch)
    if removed:
        log(
            f"removed {removed} tickets left by earlier runs ({time.perf_counter() - started:.0f} s)"
        )


def drop_leftovers_of_stamped_dataset(log=print) -> None:
    """drop_leftovers for the data set this database holds, if it holds a generated one (a
    plain development database is left alone)."""
    from django.db import connection

    with connection.cursor() as cursor:
        stamp = _stamp(cursor)
    if stamp:
        drop_leftovers(stamp["counts"]["tickets"], log)


def _stamp(cursor) -> dict | None:
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bench_dataset (version int, scale text, "
        "generated_at timestamptz, counts jsonb)"
    )
    cursor.execute("SELECT version, scale, generated_at, counts FROM bench_dataset")
    row = cursor.fetchone()
    if row is None:
        return None
    counts = json.loads(row[3]) if isinstance(row[3], str) else row[3]
    return {"version": row[0], "scale": row[1], "generated_at": row[2], "counts": counts}


def ensure_dataset(scale: str = "full", *, log=print) -> dict:
    """The data set at `scale`, generated now unless an up-to-date one is already there."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        stamp = _stamp(cursor)
    now = datetime.now(UTC)
    if (
        stamp
        and stamp["version"] == VERSION
        and stamp["scale"] == scale
        and now - stamp["generated_at"] < MAX_AGE
    ):
        log(f"bench data set ({scale}) from {stamp['generated_at']:%Y-%m-%d %H:%M} is current")
        changed = False
        if not stamp["counts"].get("articles") and SCALES[scale]["articles"]:
            stamp["counts"]["articles"] = _articles(connection, SCALES[scale]["articles"], log)
            changed = True
        if stamp["counts"].get("derived") != DERIVED_VERSION:
            _derive(log)
            stamp["counts"]["derived"] = DERIVED_VERSION
            changed = True
        if changed:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE bench_dataset SET counts = %s", [json.dumps(stamp["counts"])]
                )
        drop_leftovers(stamp["counts"]["tickets"], log)
        return stamp
    return generate(scale, log=log)


def generate(scale: str, *, log=print) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from .copy import create_indexes, drop_indexes, reset_sequences, secondary_indexes
    from .tickets import Generator

    size = SCALES[scale]
    started = time.perf_counter()
    log(f"generating the {scale} bench data set: {json.dumps(size)}")
    call_command("flush", interactive=False, verbosity=0)
    now = datetime.now(UTC).replace(microsecond=0)
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_dataset")
        # Foreign keys are not checked row by row while loading: the generator's ids are
        # consistent by construction, and checking 5M rows one by one would take longer
        # than writing them.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        indexes = secondary_indexes(cursor, LOADED_TABLES)
        drop_indexes(cursor, indexes)
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        generator = Generator(
            raw,
            customers=size["customers"],
            tickets=size["tickets"],
            messages=size["messages"],
            seed=SEED,
            now=now,
            log=log,
        )
        generator.staff()
        from .copy import copy_rows

        counts["customers"] = copy_rows(
            raw,
            "customers_customer",
            [
                "id",
                "name",
                "email",
                "language",
                "time_zone",
                "created_at",
                "updated_at",
                "blocked_reason",
                "name_kana",
                "phone",
                "tags",
                "vip",
                "custom_fields",
            ],
            generator.customer_rows(),
        )
        counts["identities"] = copy_rows(
            raw,
            "customers_identity",
            ["id", "kind", "handle", "display_name", "created_at", "customer_id"],
            generator.identity_rows(),
        )
        log(f"  customers and identities: {time.perf_counter() - started:.0f} s")
        counts["tickets"], counts["messages"] = generator.generate_tickets()
        log(f"  tickets and messages: {time.perf_counter() - started:.0f} s")
        counts["orders"] = copy_rows(
            raw,
            "customers_order",
            [
                "id",
                "source",
                "external_id",
                "number",
                "ordered_at",
                "status",
                "total",
                "currency",
                "shipping_status",
                "tracking_number",
                "tracking_url",
                "updated_at",
                "customer_id",
                "carrier",
                "source_updated_at",
            ],
            generator.order_rows(),
        )
        counts["order_items"] = copy_rows(
            raw,
            "customers_orderitem",
            ["id", "sku", "name", "quantity", "price", "order_id"],
            generator.items,
        )
        counts["articles"] = _articles(connection, size["articles"], log)
        log(f"  rebuilding {len(indexes)} indexes")
        create_indexes(cursor, indexes)
        reset_sequences(cursor, [t for t in LOADED_TABLES if t != "sla_ticketsla"])
        cursor.execute(
            "INSERT INTO bench_dataset VALUES (%s, %s, %s, %s)",
            [VERSION, scale, now, json.dumps(counts)],
        )
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"ANALYZE {table}")
    _derive(log)
    counts["derived"] = DERIVED_VERSION
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bench_dataset SET counts = %s", [json.dumps(counts)])
    counts["seconds"] = round(time.perf_counter() - started)
    log(f"bench data set ready in {counts['seconds']} s: {json.dumps(counts)}")
    return {"version": VERSION, "scale": scale, "generated_at": now, "counts": counts}


def _derive(log) -> None:
    """Tables the apps keep from ticket events, filled the way their own backfills do it:
    the automations' per-ticket clocks and the dashboards' hourly rollups."""
    import importlib

    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    clocks = importlib.import_module("automations.migrations.0002_time_automations_products")
    with connection.cursor() as cursor:
        cursor.execute(clocks.BACKFILL_CLOCKS)
    call_command("rebuild_rollups", verbosity=0)
    log(f"  clocks and dashboard rollups: {time.perf_counter() - started:.0f} s")


def _articles(connection, count: int, log) -> int:
    """The help-center articles (bench/datagen/articles.py owns their shape)."""
    try:
        from .articles import generate_articles
    except ImportError:
        log("  (no article generator: help-center articles skipped)")
        return 0
    generate_articles(connection, count=count, seed=SEED)
    return count
