"""Madoguchi side by side with django-helpdesk (issues #4 and #11), on the same machine and the
same PostgreSQL server, in one run. Writes bench/peer.json. Numbers, never assertions.

Exact commands (from the repository root, with Madoguchi's environment):

    export DATABASE_URL='postgres://postgres@%2Fwork%2Fmain%2Fvar%2Fpg/<db>'  # as for the app
    export REDIS_URL='unix:///work/main/var/redis/redis.sock?db=<n>'
    .venv/bin/python bench/peer/run.py [--mails 1000] [--tickets 10000] [--requests 60]
                                       [--skip-ours] [--import-only]

What it does, step by step:
1. `python3.11 -m venv var/peer-venv` and `var/peer-venv/bin/pip install django-helpdesk==2.6.1
   'psycopg[binary]'` (only when var/peer-venv lacks it; PEER_VENV overrides the folder).
2. Drops and creates the database `<db>_peer` on the same server (a clean peer every run);
   the peer project's settings are bench/peer/peer_settings.py (+ peer_urls.py).
3. Runs our bench/mail_ingest.py with the same number of mails (skipped with --skip-ours:
   then the last bench/mail_ingest.json is used), so both importers run back to back.
4. Runs bench/peer/measure.py in the peer venv: the same generated mails through
   django-helpdesk's importer (`helpdesk.email.extract_email_metadata`, what its IMAP/POP
   polling calls per mail), then loads --tickets tickets and times its ticket list page
   (HTML + the DataTables JSON with the rows) and the detail page of a 100-follow-up ticket
   with the Django test client, as bench/run.py times ours.
   With --import-only it stops after the import (the page numbers in bench/peer.json are
   kept from the last full run).
5. Ratios against ours: mail import from this run; pages from bench/results.json (bench/run.py),
   when it exists. A ratio above 1 means Madoguchi is that many times faster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEER_VERSION = "2.6.1"
PEER_VENV = Path(os.environ.get("PEER_VENV", ROOT / "var" / "peer-venv"))


def ensure_venv() -> Path:
    python = PEER_VENV / "bin" / "python"
    check = [
        str(python),
        "-c",
        f"import importlib.metadata as m; "
        f"assert m.version('django-helpdesk') == '{PEER_VERSION}'; import psycopg",
    ]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    subprocess.run(["python3.11", "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run(
        [
            str(PEER_VENV / "bin" / "pip"),
            "install",
            "--quiet",
            f"django-helpdesk=={PEER_VERSION}",
            "psycopg[binary]",
        ],
        check=True,
    )
    return python


def recreate_database() -> str:
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = f"{url.path.lstrip('/')}_peer"
    with psycopg.connect(
        host=unquote(url.hostname or ""),
        port=url.port,
        user=unquote(url.username or "postgres"),
        password=unquote(url.password or "") or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return name


def ratio(peer: float | None, ours: float | None) -> float | None:
    if not peer or not ours:
        return None
    return round(peer / ours, 1)


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=int(os.environ.get("BENCH_MAILS", "1000")))
    parser.add_argument("--tickets", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="measure the mail import only; the page numbers of bench/peer.json stay as they were",
    )
    args = parser.parse_args()

    python = ensure_venv()
    database = recreate_database()
    if not args.skip_ours:
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "mail_ingest.py"), "--mails", str(args.mails)],
            cwd=ROOT,
            check=True,
        )
    ours_ingest = json.loads((ROOT / "bench" / "mail_ingest.json").read_text())

    env = {
        **os.environ,
        "PEER_DATABASE": database,
        "PEER_MAILS": str(args.mails),
        "PEER_TICKETS": str(args.tickets),
        "PEER_REQUESTS": str(args.requests),
        "PEER_IMPORT_ONLY": "1" if args.import_only else "",
        "PEER_MEDIA_ROOT": str(ROOT / "var" / "peer-media"),
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PYTHONPATH": str(HERE),
    }
    done = subprocess.run(
        [str(python), str(HERE / "measure.py")],
        env=env,
        cwd=HERE,
        check=True,
        capture_output=True,
        text=True,
    )
    peer = json.loads(done.stdout.strip().splitlines()[-1])
    if args.import_only:
        earlier = json.loads((ROOT / "bench" / "peer.json").read_text())["peer"]
        peer = {**earlier, **peer}

    ours_pages = {}
    results_file = ROOT / "bench" / "results.json"
    if results_file.exists():
        ours_pages = json.loads(results_file.read_text())
    inbox = ours_pages.get("inbox", {}).get("per_view", {}).get("all") or ours_pages.get(
        "inbox_page", {}
    )
    ticket = ours_pages.get("ticket_page", {})
    ours_ingest_rate = ours_ingest.get("per_worker_per_second") or ours_ingest.get(
        "ingest_per_second"
    )
    ours_mail_p50 = ours_ingest.get("p50_ms")
    # The peer shows no ticket until its page's DataTables call returns: both requests count.
    peer_list_p50 = peer["ticket_list_page"]["p50_ms"] + peer["ticket_list_rows"]["p50_ms"]
    results = {
        "peer": peer,
        "ours": {
            "mail_ingest": ours_ingest,
            "inbox_all_view": inbox or None,
            "ticket_page_100_messages": ticket or None,
        },
        "ratios_madoguchi_faster_by": {
            "email_import_mails_per_second": ratio(ours_ingest_rate, peer["import"]["per_second"]),
            "email_import_p50_per_mail": ratio(peer["import"]["p50_ms"], ours_mail_p50),
            "email_import_cpu_per_mail": ratio(
                peer["import"]["cpu_ms_per_mail"], ours_ingest.get("cpu_ms_per_mail")
            ),
            "ticket_list_p50": ratio(peer_list_p50, inbox.get("p50_ms") if inbox else None),
            "ticket_detail_p50": ratio(peer["ticket_detail"]["p50_ms"], ticket.get("p50_ms")),
        },
        "notes": [
            "email import: same generated mails, same machine, back to back in this run; "
            "Madoguchi also stores the raw mail, resolves the customer, runs SLA, routing and "
            "automations and publishes live; django-helpdesk does none of these",
            "cpu_per_mail: each importer's own process CPU, the fairer number on a shared machine",
            "pages: ours from bench/results.json (bench/run.py, its data set), the peer's from "
            f"{peer['tickets_loaded']} tickets loaded here; list = page + its DataTables rows",
        ],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    (ROOT / "bench" / "peer.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["ratios_madoguchi_faster_by"]))
    return results


if __name__ == "__main__":
    main()
