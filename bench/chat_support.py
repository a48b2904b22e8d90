"""Pieces of the live-chat benchmark (bench/chat.py): the web processes, the data it needs,
the widget-socket reader and the numbers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "https://bench-shop.example"
CSRF = "b" * 32  # cookie and form field only have to match
TARGET_P99_MS = 50.0


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()


def say(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def prepare(connections: int) -> dict:
    """A chat channel, an agent with a session, and `connections` visitors with tokens."""
    from django.test import Client

    from helpdesk.models import User
    from livechat.models import ChatChannel, ChatVisitor
    from livechat.services import visitor_token

    channel, _ = ChatChannel.objects.get_or_create(
        name="bench", defaults={"allowed_origins": ORIGIN, "ask_name": "off", "ask_email": "off"}
    )
    ChatChannel.objects.filter(pk=channel.pk).update(
        allowed_origins=ORIGIN, ask_name="off", ask_email="off", active=True, bot_enabled=False
    )
    agent, _ = User.objects.get_or_create(
        email="bench-chat-agent@madoguchi.localhost", defaults={"name": "Bench", "role": "admin"}
    )
    browser = Client()
    browser.force_login(agent)
    visitors = ChatVisitor.objects.bulk_create(
        [ChatVisitor(channel=channel) for _ in range(connections)]
    )
    return {
        "channel": channel.public_key,
        "session": browser.cookies["sessionid"].value,
        "tokens": [visitor_token(v) for v in visitors],
    }


def business_hours_off() -> list[int]:
    """Outside the default calendar's hours the widget turns chats into email (a different
    path, with mails): for the run, no calendar is the default, so the team counts as open
    while an agent is online. Returns what to restore."""
    from django.apps import apps

    if not apps.is_installed("sla"):
        return []
    from sla.models import BusinessCalendar

    ids = list(BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True))
    BusinessCalendar.objects.filter(pk__in=ids).update(is_default=False)
    return ids


def business_hours_restore(ids: list[int]) -> None:
    if ids:
        from sla.models import BusinessCalendar

        BusinessCalendar.objects.filter(pk__in=ids).update(is_default=True)


def bench_env(eager: bool) -> dict[str, str]:
    return {
        **os.environ,
        "CELERY_TASK_ALWAYS_EAGER": "1" if eager else "0",
        "PYTHONUNBUFFERED": "1",
    }


def start_worker(log_dir: Path) -> subprocess.Popen:
    """One Celery worker on every queue, as deployed: it files what the ingest queue gets,
    sends agents' replies (the `deliver` queue) and indexes tickets for search in batches."""
    log = (log_dir / "chat-worker.log").open("wb")
    command = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker",
               "-Q", "ingest,deliver,default,reports", "--concurrency", "2",
               "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env=bench_env(False), stdout=log, stderr=subprocess.STDOUT
    )


def start_web(count: int, log_dir: Path, eager: bool) -> list[tuple[subprocess.Popen, str]]:
    env = bench_env(eager)
    started = []
    for index in range(count):
        port = free_port()
        log = (log_dir / f"chat-web{index}.log").open("wb")
        command = [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application",
                   "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets",
                   "--lifespan", "off", "--log-level", "warning", "--no-access-log",
                   "--ws-max-queue", "64"]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        started.append((process, f"127.0.0.1:{port}"))
    for process, host in started:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"web process {host} did not start (see {log_dir})")
            try:
                with urllib.request.urlopen(f"http://{host}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
    return started


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "count": len(ordered),
        "p50_ms": pick(0.50),
        "p90_ms": pick(0.90),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


class Visitor:
    def __init__(self, ws, index: int) -> None:
        self.ws = ws
        self.index = index
        self.acks: dict[str, int] = {}  # client id → message id
        self.ack_waiters: dict[str, asyncio.Future] = {}
        self.agent_texts: dict[str, float] = {}  # text → receive time
        self.reader: asyncio.Task | None = None
        self.errors: dict[str, int] = {}

    async def read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "ack" and frame.get("message"):
                self.acks[frame["id"]] = frame["message"]["id"]
                waiter = self.ack_waiters.pop(frame["id"], None)
                if waiter and not waiter.done():
                    waiter.set_result(frame["message"]["id"])
            elif kind == "error":
                self.errors[frame.get("code")] = self.errors.get(frame.get("code"), 0) + 1
            elif kind == "message" and frame["message"].get("from") == "agent":
                self.agent_texts[frame["message"]["text"]] = time.perf_counter()


def merge_counts(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in counts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def tickets_for(message_ids: dict[int, int]) -> dict[int, int]:
    from tickets.models import Message

    tickets = dict(
        Message.objects.filter(pk__in=message_ids.values()).values_list("pk", "ticket_id")
    )
    return {index: tickets[mid] for index, mid in message_ids.items() if mid in tickets}
