"""Live chat at scale: N widget sockets held open on two web processes, message latency both
ways under a steady load, memory per idle connection.

    DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/chat.py \
        [--connections 1000] [--rates 50,100,200] [--duration 20] [--senders 400]

What runs: two `uvicorn helpdesk.asgi:application` processes (the production ASGI app, the
Redis channel layer of REDIS_URL, the database of DATABASE_URL) and one Celery worker, as
deployed: the worker sends agents' replies (`deliver` queue) and indexes tickets for search in
batches. `--eager` runs tasks inside the web process that queued them instead (the first
version of this benchmark; it makes each web process index every message itself). Widget
sockets are spread over both processes; the agent's inbox socket (`/ws/agent/`) is on the
second one, so most messages cross processes through Redis.

- connections: visitors are made in the database first and say `hello` with their signed
  token (the per-IP limit on *new* visitors is 60 a minute; returning ones are not limited).
  Memory per idle connection = (RSS of both processes with N idle sockets − RSS before) / N.
- customer → agent: a visitor's `message` frame sent → the agent's inbox socket receives
  `message.created` for it (raw event stored, filed into the ticket, committed, published).
- agent → customer: a `reply` frame on the ticket page's chat socket (`/ws/chat/agent/<id>/`,
  what the ticket page sends for a plain reply; `--agent-form`: the reply form,
  `POST /agent/tickets/<id>/reply/`) sent → the visitor's socket receives the `message` frame.
- CPU per message: the web processes', the worker's and the database backends' CPU time over
  the step / messages sent (both directions); database transactions per message likewise.
  The worker's share of a step is approximate (follow-ups still queued when a step ends count
  in the next one): `all_steps_until_followups_done` measures all steps together, until the
  follow-ups and search indexing they caused are done.
The steady load steps through `--rates` (messages a second, half each way), `--duration`
seconds each on the same sockets;
`--senders` visitors take turns (each stays under the 30-messages-a-minute visitor limit).
Numbers, never assertions: prints JSON and writes bench/chat.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chat_support import (  # noqa: E402
    CSRF,
    ROOT,
    TARGET_P99_MS,
    AgentInbox,
    CpuMeter,
    Visitor,
    business_hours_off,
    business_hours_restore,
    followups_settled,
    merge_counts,
    open_agent_chats,
    percentiles,
    prepare,
    rss_kb,
    say,
    setup_django,
    start_web,
    start_worker,
)
from bench.chat_widgets import open_widgets, send_message, warm_up  # noqa: E402


async def steady_load(
    rate: float, duration: float, drain: float, senders: list[Visitor], ticket_of: dict,
    inbox: AgentInbox, host: str, session: str, step: int, chats: dict | None, meter: CpuMeter,
) -> dict:  # fmt: skip
    """`rate` messages a second for `duration` seconds, alternating customer → agent (a widget
    frame) and agent → customer (a `reply` frame on the ticket page's chat socket, or with
    `chats` None the reply form); latencies of both directions, CPU per message."""
    import httpx

    c2a_sent: dict[str, tuple[Visitor, float]] = {}
    a2c_sent: dict[str, tuple[Visitor, float]] = {}
    http_errors = 0
    interval = 1.0 / rate
    total = int(rate * duration)
    http = httpx.AsyncClient(
        base_url=f"http://{host}",
        cookies={"sessionid": session, "csrftoken": CSRF},
        timeout=60,
        limits=httpx.Limits(max_connections=64),
    )
    pending: set[asyncio.Task] = set()
    errors_before = merge_counts([v.errors for v in senders])

    async def customer_message(visitor: Visitor, n: int) -> None:
        client_id, sent = await send_message(visitor, f"c2a {step}.{n}")
        c2a_sent[client_id] = (visitor, sent)

    async def agent_reply(visitor: Visitor, n: int) -> None:
        nonlocal http_errors
        text = f"a2c {step}.{n} {uuid.uuid4().hex[:8]}"
        a2c_sent[text] = (visitor, time.perf_counter())
        if chats is not None:
            chat = chats.get(ticket_of[visitor.index])
            try:
                await chat.reply(text)
            except Exception:  # noqa: BLE001 - counted
                http_errors += 1
            return
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

    cpu_before = await asyncio.to_thread(meter.snapshot)
    started = time.perf_counter()
    for n in range(total):
        delay = started + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        visitor = senders[(n // 2) % len(senders)]
        job = customer_message(visitor, n) if n % 2 == 0 else agent_reply(visitor, n)
        task = asyncio.create_task(job)
        pending.add(task)
        task.add_done_callback(pending.discard)
    load_seconds = time.perf_counter() - started
    say(f"rate {rate}/s sent; draining")
    if pending:
        await asyncio.wait(pending, timeout=120)
    deadline = time.perf_counter() + drain
    while time.perf_counter() < deadline and not _all_arrived(c2a_sent, a2c_sent, inbox):
        await asyncio.sleep(0.5)
    await http.aclose()
    cpu = await asyncio.to_thread(meter.since, cpu_before, max(total, 1))

    c2a, c2a_lost = [], 0
    for client_id, (visitor, sent) in c2a_sent.items():
        message_id = visitor.acks.get(client_id)
        arrived = inbox.created_at.get(message_id) if message_id else None
        if arrived is None:
            c2a_lost += 1
        else:
            c2a.append((arrived - sent) * 1000)
    a2c, a2c_lost = [], 0
    for text, (visitor, sent) in a2c_sent.items():
        arrived = visitor.agent_texts.get(text)
        if arrived is None:
            a2c_lost += 1
        else:
            a2c.append((arrived - sent) * 1000)
    errors_after = merge_counts([v.errors for v in senders])
    result = {
        "offered_rate_per_s": rate,
        "messages_scheduled": total,
        "achieved_send_rate_per_s": round(total / load_seconds, 1) if load_seconds else None,
        "duration_s": duration,
        "http_errors": http_errors,
        "visitor_error_frames": {
            k: v - errors_before.get(k, 0)
            for k, v in errors_after.items()
            if v != errors_before.get(k, 0)
        },
        "cpu_and_db": cpu,
        "customer_to_agent": {**percentiles(c2a), "not_arrived": c2a_lost},
        "agent_to_customer": {**percentiles(a2c), "not_arrived": a2c_lost},
    }
    for direction in ("customer_to_agent", "agent_to_customer"):
        p99 = result[direction].get("p99_ms")
        result[direction]["meets_p99_target"] = p99 is not None and p99 <= TARGET_P99_MS
    return result


def _all_arrived(c2a_sent: dict, a2c_sent: dict, inbox: AgentInbox) -> bool:
    for client_id, (visitor, _) in c2a_sent.items():
        if inbox.created_at.get(visitor.acks.get(client_id)) is None:
            return False
    return all(text in visitor.agent_texts for text, (visitor, _) in a2c_sent.items())


async def run(args: argparse.Namespace) -> dict:
    from django.conf import settings
    from websockets.asyncio.client import connect

    log_dir = Path(os.environ.get("MADOGUCHI_VAR_DIR", "/tmp")) / "bench-chat"
    log_dir.mkdir(parents=True, exist_ok=True)
    data = await asyncio.to_thread(prepare, args.connections)
    calendars = await asyncio.to_thread(business_hours_off)
    say("prepared", args.connections, "visitors")
    web = await asyncio.to_thread(start_web, 2, log_dir, args.eager)
    worker = None if args.eager else await asyncio.to_thread(start_worker, log_dir)
    say("web processes up", "(tasks inline)" if args.eager else "and a worker")
    hosts = [host for _, host in web]
    pids = [process.pid for process, _ in web]
    result: dict = {
        "bench": "chat",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "web_processes": 2,
        "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
        "tasks": "inline in the web processes" if args.eager else "one Celery worker",
        "targets": {"connections": args.connections, "rates_per_s": args.rates, "p99_ms": 50},
    }
    tasks: list[asyncio.Task] = []
    try:
        await asyncio.sleep(2)
        rss_before = sum(rss_kb(pid) for pid in pids)
        ws = await connect(
            f"ws://{hosts[1]}/ws/agent/",
            additional_headers={
                "Cookie": f"sessionid={data['session']}",
                "Origin": f"http://{hosts[1]}",
            },
            max_queue=None,
            ping_interval=None,
        )
        inbox = AgentInbox(ws)
        tasks += [asyncio.create_task(inbox.read()), asyncio.create_task(inbox.keep_online())]

        say("agent inbox connected; opening widget sockets")
        started = time.perf_counter()
        visitors, failures = await open_widgets(
            hosts, data, args.connections, args.open_concurrency
        )
        open_seconds = time.perf_counter() - started
        say("opened", len(visitors), "failed", failures)
        await asyncio.sleep(5)  # settle: let both processes finish their hello work
        rss_idle = sum(rss_kb(pid) for pid in pids)
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

        started = time.perf_counter()
        ticket_of = await warm_up(visitors[: min(args.senders, held)])
        senders = [v for v in visitors if v.index in ticket_of]
        say("warm-up done:", len(senders), "chats")
        chats = None
        if not args.agent_form:
            chats = await open_agent_chats(hosts, data["session"], sorted(ticket_of.values()))
            senders = [v for v in senders if ticket_of[v.index] in chats]
            say("agent chat sockets:", len(chats))
        await asyncio.sleep(5)  # the warm-up's ticket follow-ups finish before the steps
        meter = CpuMeter(pids, worker.pid if worker else None)
        result["warmup"] = {
            "chats_opened": len(senders),
            "seconds": round(time.perf_counter() - started, 2),
        }
        result["steps"] = []
        cpu_start = await asyncio.to_thread(meter.snapshot)
        for step, rate in enumerate(args.rates):
            if not senders:
                break
            outcome = await steady_load(
                rate, args.duration, args.drain, senders, ticket_of, inbox,
                hosts[1], data["session"], step, chats, meter,
            )  # fmt: skip
            say(
                f"rate {rate}/s: c2a p50 {outcome['customer_to_agent'].get('p50_ms')} "
                f"p99 {outcome['customer_to_agent'].get('p99_ms')}; a2c p50 "
                f"{outcome['agent_to_customer'].get('p50_ms')} "
                f"p99 {outcome['agent_to_customer'].get('p99_ms')}"
            )
            result["steps"].append(outcome)
        # A step's worker CPU misses the follow-ups still queued when it ends (and the next
        # step counts them): over all steps, until the ticket work is done, it is exact.
        settled = await asyncio.to_thread(followups_settled, args.settle)
        sent = sum(step["messages_scheduled"] for step in result["steps"])
        result["all_steps_until_followups_done"] = {
            "settled": settled,
            "messages": sent,
            **await asyncio.to_thread(meter.since, cpu_start, max(sent, 1)),
        }
        result["agent_inbox"] = {"events": inbox.events, "closed": inbox.closed}
        result["rss_after_load_kb"] = sum(rss_kb(pid) for pid in pids)
        for visitor in visitors:
            await visitor.ws.close()
        await ws.close()
    finally:
        for task in tasks:
            task.cancel()
        processes = [process for process, _ in web] + ([worker] if worker else [])
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        await asyncio.to_thread(business_hours_restore, calendars)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument(
        "--rates",
        type=lambda text: [float(part) for part in text.split(",") if part],
        default=[50.0, 100.0, 200.0],
        help="steps of messages/s (both ways together), e.g. 50,100,200",
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per rate step")
    parser.add_argument("--senders", type=int, default=400)
    parser.add_argument("--open-concurrency", type=int, default=50)
    parser.add_argument(
        "--drain", type=float, default=30.0, help="at most this long for stragglers, per step"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=60.0,
        help="at most this long for the ticket work (follow-ups, search) after the last step",
    )
    parser.add_argument(
        "--eager",
        action="store_true",
        help="run tasks inside the web processes (no worker), as the first version did",
    )
    parser.add_argument(
        "--agent-form",
        action="store_true",
        help="agents reply with the reply form (HTTP) instead of the ticket page's chat socket",
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "chat.json"))
    args = parser.parse_args()
    setup_django()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = asyncio.run(run(args))
    result["command"] = " ".join(["bench/chat.py", *sys.argv[1:]])
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    Path(args.output).write_text(text + "\n")


if __name__ == "__main__":
    main()
