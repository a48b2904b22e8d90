"""Pieces of the live-chat benchmark (bench/chat.py): the web processes, the data it needs,
the widget-socket reader and the numbers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
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


class AgentInbox:
    """The agent's `/ws/agent/` socket: when each `message.created` arrived."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.created_at: dict[int, float] = {}
        self.events = 0
        self.closed: str | None = None

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                self.events += 1
                event = json.loads(raw)
                if event.get("type") in ("message.created", "ticket.created") and event.get(
                    "message"
                ):
                    self.created_at.setdefault(event["message"], time.perf_counter())
        except Exception as exc:  # noqa: BLE001 - reported
            self.closed = repr(exc)
        else:
            self.closed = f"closed {self.ws.close_code}"

    async def keep_online(self) -> None:
        # Presence forgets an agent not heard from in two minutes; with nobody online the
        # widget asks for an email first (`profile_required`), as it should.
        while True:
            await asyncio.sleep(20)
            await self.ws.send(json.dumps({"v": 1, "type": "ping"}))


class AgentChat:
    """The agent's chat socket of one ticket page (`/ws/chat/agent/<id>/`): replies go out as
    `reply` frames, as the ticket page sends plain replies."""

    def __init__(self, ws, ticket_id: int) -> None:
        self.ws = ws
        self.ticket_id = ticket_id
        self.errors: dict[str, int] = {}
        self.reader: asyncio.Task | None = None

    async def read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame.get("type") == "error":
                    code = frame.get("code")
                    self.errors[code] = self.errors.get(code, 0) + 1

    async def reply(self, text: str) -> None:
        frame = {"v": 1, "type": "reply", "id": uuid.uuid4().hex[:20], "text": text, "seen": 0}
        await self.ws.send(json.dumps(frame))


async def open_agent_chats(hosts: list[str], session: str, ticket_ids: list[int]) -> dict:
    """One ticket-page chat socket per chat (ticket id → AgentChat), over both processes."""
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(20)
    opened: dict[int, AgentChat] = {}

    async def open_one(index: int, ticket_id: int) -> None:
        host = hosts[index % len(hosts)]
        async with gate:
            with contextlib.suppress(Exception):
                ws = await connect(
                    f"ws://{host}/ws/chat/agent/{ticket_id}/",
                    additional_headers={
                        "Cookie": f"sessionid={session}",
                        "Origin": f"http://{host}",
                    },
                    open_timeout=60,
                    ping_interval=None,
                )
                await asyncio.wait_for(ws.recv(), 30)  # the `hello`
                chat = AgentChat(ws, ticket_id)
                chat.reader = asyncio.create_task(chat.read())
                opened[ticket_id] = chat

    await asyncio.gather(*(open_one(i, t) for i, t in enumerate(ticket_ids)))
    return opened


def cpu_ticks(pids: list[int]) -> int:
    """utime + stime of the processes (clock ticks); gone ones count 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def worker_pids(worker_pid: int) -> list[int]:
    """The Celery worker and its pool children."""
    found = [worker_pid]
    path = f"/proc/{worker_pid}/task/{worker_pid}/children"
    with contextlib.suppress(OSError), open(path) as children:
        found += [int(pid) for pid in children.read().split()]
    return found


def database_counters() -> dict:
    """PostgreSQL's own view of the run's database: backends' pids (for their CPU) and the
    transactions / rows written so far."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted"
            " FROM pg_stat_database WHERE datname = current_database()"
        )
        transactions, rows = cursor.fetchone()
    return {"pids": pids, "transactions": transactions, "rows": rows}


def followups_settled(timeout: float) -> bool:
    """Wait until the ticket work the messages caused is done: chat follow-ups applied, chat
    tickets parked for search flushed, the search queue drained (or `timeout` passed)."""
    from livechat import followups
    from livechat.models import ChatReplyFollowUp
    from tickets import search_queue

    try:
        from livechat import search_later
    except ImportError:  # an older tree measured for comparison
        search_later = None

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parked = search_later._redis().scard(search_later._keys()[1]) if search_later else 0
        if not (
            parked
            or followups.pending_events().exists()
            or ChatReplyFollowUp.objects.exists()
            or search_queue.pending_count()
        ):
            return True
        time.sleep(0.5)
    return False


class CpuMeter:
    """CPU used by the web processes, the worker and the database's backends during a step."""

    def __init__(self, web_pids: list[int], worker_pid: int | None) -> None:
        self.web_pids = web_pids
        self.worker_pid = worker_pid

    def snapshot(self) -> dict:
        db = database_counters()
        workers = worker_pids(self.worker_pid) if self.worker_pid else []
        return {
            "web": cpu_ticks(self.web_pids),
            "worker": cpu_ticks(workers),
            "db_pids": db["pids"],
            "db": {pid: cpu_ticks([pid]) for pid in db["pids"]},
            "transactions": db["transactions"],
        }

    def since(self, before: dict, messages: int) -> dict:
        after = self.snapshot()
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        db = sum(ticks - before["db"].get(pid, 0) for pid, ticks in after["db"].items())
        parts = {
            "web": (after["web"] - before["web"]) * tick_ms,
            "worker": (after["worker"] - before["worker"]) * tick_ms,
            "postgres": db * tick_ms,
        }
        per = {f"{k}_ms_per_message": round(v / messages, 2) for k, v in parts.items()}
        per["total_cpu_ms_per_message"] = round(sum(parts.values()) / messages, 2)
        per["db_transactions_per_message"] = round(
            (after["transactions"] - before["transactions"]) / messages, 2
        )
        return per
