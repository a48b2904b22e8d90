"""Live chat at scale: N widget sockets held open on two web processes, message latency both
ways under a steady load, memory per idle connection.

    DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/chat.py \
        [--connections 1000] [--rate 200] [--duration 20] [--senders 400]

What runs: two `uvicorn helpdesk.asgi:application` processes (the production ASGI app, the
Redis channel layer of REDIS_URL, the database of DATABASE_URL; tasks inline in the process
that queued them, as in tests/livechat/test_two_processes.py, so no worker is needed). Widget
sockets are spread over both processes; the agent's inbox socket (`/ws/agent/`) is on the
second one, so most messages cross processes through Redis.

- connections: visitors are made in the database first and say `hello` with their signed
  token (the per-IP limit on *new* visitors is 60 a minute; returning ones are not limited).
  Memory per idle connection = (RSS of both processes with N idle sockets − RSS before) / N.
- customer → agent: a visitor's `message` frame sent → the agent's inbox socket receives
  `message.created` for it (raw event stored, filed into the ticket, committed, published).
- agent → customer: the agent's reply form (`POST /agent/tickets/<id>/reply/`, the same path
  as the inbox page) sent → the visitor's socket receives the `message` frame.
The steady load is `--rate` messages a second, half each way, for `--duration` seconds;
`--senders` visitors take turns (each stays under the 30-messages-a-minute visitor limit).
Numbers, never assertions: prints JSON and writes bench/chat.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
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


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()


def say(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kb(pid: int) -> int:
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


def start_web(count: int, log_dir: Path) -> list[tuple[subprocess.Popen, str]]:
    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "1", "PYTHONUNBUFFERED": "1"}
    started = []
    for index in range(count):
        port = _free_port()
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


async def run(args: argparse.Namespace) -> dict:
    import httpx
    from websockets.asyncio.client import connect

    log_dir = Path(os.environ.get("MADOGUCHI_VAR_DIR", "/tmp")) / "bench-chat"
    log_dir.mkdir(parents=True, exist_ok=True)
    data = await asyncio.to_thread(prepare, args.connections)
    calendars = await asyncio.to_thread(business_hours_off)
    say("prepared", args.connections, "visitors")
    web = await asyncio.to_thread(start_web, 2, log_dir)
    say("web processes up")
    hosts = [host for _, host in web]
    pids = [process.pid for process, _ in web]
    result: dict = {
        "bench": "chat",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "web_processes": 2,
        "channel_layer": "channels_redis (REDIS_URL)",
        "targets": {"connections": args.connections, "rate_per_s": args.rate, "p99_ms": 50},
    }
    try:
        await asyncio.sleep(2)
        rss_before = sum(_rss_kb(pid) for pid in pids)
        agent_headers = {"Cookie": f"sessionid={data['session']}"}
        created_at: dict[int, float] = {}

        inbox_state = {"events": 0, "closed": None}

        async def agent_reader(ws) -> None:
            try:
                await _agent_read(ws)
            except Exception as exc:  # noqa: BLE001 - reported
                inbox_state["closed"] = repr(exc)
            else:
                inbox_state["closed"] = f"closed {ws.close_code}"

        async def _agent_read(ws) -> None:
            async for raw in ws:
                inbox_state["events"] += 1
                event = json.loads(raw)
                if event.get("type") in ("message.created", "ticket.created") and event.get(
                    "message"
                ):
                    created_at.setdefault(event["message"], time.perf_counter())

        inbox = await connect(
            f"ws://{hosts[1]}/ws/agent/",
            additional_headers={**agent_headers, "Origin": f"http://{hosts[1]}"},
            max_queue=None,
            ping_interval=None,
        )
        inbox_task = asyncio.create_task(agent_reader(inbox))

        async def keep_agent_online() -> None:
            # Presence forgets an agent not heard from in two minutes; with nobody online the
            # widget asks for an email first (`profile_required`), as it should.
            while True:
                await asyncio.sleep(20)
                await inbox.send(json.dumps({"v": 1, "type": "ping"}))

        pinger = asyncio.create_task(keep_agent_online())

        # --- open N widget sockets ------------------------------------------------------
        visitors: list[Visitor] = []
        failures = 0
        gate = asyncio.Semaphore(args.open_concurrency)

        async def open_one(index: int) -> None:
            nonlocal failures
            async with gate:
                try:
                    ws = await connect(
                        f"ws://{hosts[index % 2]}/ws/chat/",
                        origin=ORIGIN,
                        open_timeout=60,
                        ping_interval=None,  # a busy machine must not close idle sockets
                    )
                    await ws.send(
                        json.dumps(
                            {
                                "v": 1,
                                "type": "hello",
                                "channel": data["channel"],
                                "token": data["tokens"][index],
                                "lang": "ja",
                            }
                        )
                    )
                    while json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] != "welcome":
                        pass
                except Exception:  # noqa: BLE001 - counted, reported
                    failures += 1
                    return
                visitor = Visitor(ws, index)
                visitor.reader = asyncio.create_task(visitor.read())
                visitors.append(visitor)

        say("agent inbox connected; opening widget sockets")
        started = time.perf_counter()
        await asyncio.gather(*(open_one(i) for i in range(args.connections)))
        say("opened", len(visitors), "failed", failures)
        open_seconds = time.perf_counter() - started
        await asyncio.sleep(5)  # settle: let both processes finish their hello work
        rss_idle = sum(_rss_kb(pid) for pid in pids)
        held = len(visitors)
        result["connections"] = {
            "opened": held,
            "failed": failures,
            "open_seconds": round(open_seconds, 2),
            "hellos_per_s": round(held / open_seconds, 1) if open_seconds else None,
            "rss_before_kb": rss_before,
            "rss_idle_kb": rss_idle,
            "rss_per_idle_connection_kb": round((rss_idle - rss_before) / held, 1)
            if held
            else None,
        }

        # --- warm-up: each sender opens its chat (a ticket) -----------------------------
        senders = visitors[: min(args.senders, held)]
        warm_gate = asyncio.Semaphore(8)

        async def send_message(visitor: Visitor, text: str) -> tuple[str, float]:
            client_id = uuid.uuid4().hex[:20]
            sent = time.perf_counter()
            await visitor.ws.send(
                json.dumps({"v": 1, "type": "message", "id": client_id, "text": text})
            )
            return client_id, sent

        async def warm(visitor: Visitor) -> None:
            async with warm_gate:
                waiter = asyncio.get_running_loop().create_future()
                client_id, _ = await send_message(visitor, f"bench {visitor.index} こんにちは")
                visitor.ack_waiters[client_id] = waiter
                if client_id in visitor.acks:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, 60)

        started = time.perf_counter()
        await asyncio.gather(*(warm(v) for v in senders))
        say("warm-up done")
        result["warmup"] = {
            "chats_opened": sum(1 for v in senders if v.acks),
            "seconds": round(time.perf_counter() - started, 2),
        }
        ticket_of = await asyncio.to_thread(
            _tickets_for, {v.index: next(iter(v.acks.values())) for v in senders if v.acks}
        )
        senders = [v for v in senders if v.index in ticket_of]

        # --- steady load: half customer → agent, half agent → customer ------------------
        c2a_sent: dict[str, tuple[Visitor, float]] = {}
        a2c_sent: dict[str, tuple[Visitor, float]] = {}
        http_errors = 0
        interval = 1.0 / args.rate if args.rate else 1.0
        total = int(args.rate * args.duration)
        http = httpx.AsyncClient(
            base_url=f"http://{hosts[1]}",
            cookies={"sessionid": data["session"], "csrftoken": CSRF},
            timeout=60,
            limits=httpx.Limits(max_connections=64),
        )
        pending: set[asyncio.Task] = set()

        async def customer_message(visitor: Visitor, n: int) -> None:
            client_id, sent = await send_message(visitor, f"c2a {n}")
            c2a_sent[client_id] = (visitor, sent)

        async def agent_reply(visitor: Visitor, n: int) -> None:
            nonlocal http_errors
            text = f"a2c {n} {uuid.uuid4().hex[:8]}"
            a2c_sent[text] = (visitor, time.perf_counter())
            try:
                response = await http.post(
                    f"/agent/tickets/{ticket_of[visitor.index]}/reply/",
                    data={"body": text, "csrfmiddlewaretoken": CSRF},
                    follow_redirects=False,
                )
                if response.status_code not in (200, 302, 303):
                    http_errors += 1
            except httpx.HTTPError:
                http_errors += 1

        started = time.perf_counter()
        for n in range(total):
            at = started + n * interval
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            visitor = senders[(n // 2) % len(senders)] if senders else None
            if visitor is None:
                break
            job = customer_message(visitor, n) if n % 2 == 0 else agent_reply(visitor, n)
            task = asyncio.create_task(job)
            pending.add(task)
            task.add_done_callback(pending.discard)
        load_seconds = time.perf_counter() - started
        say("load sent; draining")
        if pending:
            await asyncio.wait(pending, timeout=120)
        await asyncio.sleep(args.drain)  # the last deliveries
        await http.aclose()

        c2a = []
        c2a_lost = 0
        for client_id, (visitor, sent) in c2a_sent.items():
            message_id = visitor.acks.get(client_id)
            arrived = created_at.get(message_id) if message_id else None
            if arrived is None:
                c2a_lost += 1
            else:
                c2a.append((arrived - sent) * 1000)
        a2c = []
        a2c_lost = 0
        for text, (visitor, sent) in a2c_sent.items():
            arrived = visitor.agent_texts.get(text)
            if arrived is None:
                a2c_lost += 1
            else:
                a2c.append((arrived - sent) * 1000)
        result["load"] = {
            "messages_scheduled": total,
            "offered_rate_per_s": args.rate,
            "achieved_send_rate_per_s": round(total / load_seconds, 1) if load_seconds else None,
            "duration_s": args.duration,
            "senders": len(senders),
            "http_errors": http_errors,
            "visitor_error_frames": _merge([v.errors for v in visitors]),
            "agent_inbox": inbox_state,
        }
        result["customer_to_agent"] = {**percentiles(c2a), "not_arrived": c2a_lost}
        result["agent_to_customer"] = {**percentiles(a2c), "not_arrived": a2c_lost}
        result["rss_after_load_kb"] = sum(_rss_kb(pid) for pid in pids)
        for direction in ("customer_to_agent", "agent_to_customer"):
            p99 = result[direction].get("p99_ms")
            result[direction]["meets_p99_target"] = p99 is not None and p99 <= TARGET_P99_MS

        for visitor in visitors:
            await visitor.ws.close()
        await inbox.close()
        inbox_task.cancel()
        pinger.cancel()
    finally:
        for process, _ in web:
            process.terminate()
        for process, _ in web:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        await asyncio.to_thread(business_hours_restore, calendars)
    return result


def _merge(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in counts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def _tickets_for(message_ids: dict[int, int]) -> dict[int, int]:
    from tickets.models import Message

    tickets = dict(
        Message.objects.filter(pk__in=message_ids.values()).values_list("pk", "ticket_id")
    )
    return {index: tickets[mid] for index, mid in message_ids.items() if mid in tickets}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="messages/s, both ways")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of steady load")
    parser.add_argument("--senders", type=int, default=400)
    parser.add_argument("--open-concurrency", type=int, default=50)
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for stragglers")
    args = parser.parse_args()
    _setup_django()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = asyncio.run(run(args))
    result["command"] = " ".join(["bench/chat.py", *sys.argv[1:]])
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    (ROOT / "bench" / "chat.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
