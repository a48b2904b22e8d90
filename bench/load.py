"""`make load`: the load scenario of bench/locustfile.py against the whole stack (issue #11).

    make load                                  # LOAD_RATE actions/s for LOAD_DURATION (10m)
    LOAD_RATE=6 LOAD_DURATION=60s make load    # a short run while developing
    LOAD_CAPACITY=1 make load                  # step the rate up: the sustained capacity
    LOAD_RATE=capacity make load               # the soak at the capacity found last

It migrates (LOAD_MIGRATE=0: not, for a shared database), creates the scenario's fixtures (agent and manager sessions, a Telegram account,
chat visitors, tickets and customers to open; idempotent), starts web + worker + beat as
`helpdesk.launcher run` does on its own port (the load layout below), runs locust headless and
merges its section ("steady" or "capacity") into bench/load.json and bench/LOAD.md: p50/p95/p99
per request against its p95 target, errors, the rate, RSS of every app process every 30 s
(growth over the second half), CPU seconds per process and of their PostgreSQL backends, the
Celery queues' backlog, and what the worker spent its time on (beat's periodic tasks among
it). Loopback only; the machine's other load counts too. Other knobs: LOAD_PACING (5 s),
LOAD_CAPACITY_RATES, LOAD_STEP_SECONDS (60), LOAD_WARMUP_SECONDS (30), LOAD_SETTLE_SECONDS
(15), LOAD_MIN_SAMPLES (20), LOAD_KNEE (2) and LOAD_BACKLOG_LIMIT (30) (bench/load_capacity.py:
how a step is judged and when stepping stops), LOAD_RSS_EVERY (30), LOAD_PORT. Experiments:
LOAD_PROCESSES=web (no worker, no beat), LOAD_LOCUST_NICE=10, LOAD_OUT / LOAD_LOGS /
LOAD_FIXTURES (elsewhere than bench/ and var/). The web processes run with SERVER_TIMING=1:
every answer says how long the app took and, when it was alone, its CPU and run-queue wait
(helpdesk/asgi.py), so the report separates the server's time from the time around it.

Layout (LOAD_WEB_WORKERS, default 2; LOAD_WORKER_CONCURRENCY, default 2): a uvicorn process
runs Django's sync views in threads (one per request) that share one GIL, so one process uses
at most one core for Python however many requests wait; a second process lets pages use both
cores when the worker is idle, for about 130 MB more. `helpdesk.launcher run` starts one.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_capacity import capacity_section  # noqa: E402
from bench.load_mix import (  # noqa: E402
    PACING,
    SETTLE_SECONDS,
    WARMUP_SECONDS,
    capacity_rates,
    errors_between,
    step_seconds,
    summarize,
    users_for,
    verdict,
)
from bench.load_report import (  # noqa: E402
    APP_NAME,
    Sampler,
    markdown,
    queue_backlog,
    tree_cpu_seconds,
    tree_rss_mb,
    worker_tasks,
)
from bench.load_setup import MAIL_SECRET, setup  # noqa: E402

FIXTURES = Path(os.environ.get("LOAD_FIXTURES", ROOT / "var" / "load-fixtures.json"))
LOGS = Path(os.environ.get("LOAD_LOGS", ROOT / "var" / "load-logs"))
# Where load.json and LOAD.md go (LOAD_OUT: an experiment's numbers elsewhere than bench/).
OUT = Path(os.environ.get("LOAD_OUT", ROOT / "bench"))
LOCUSTFILE = ROOT / "bench" / "locustfile.py"


def _wait_ready(url: str, timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the web process did not answer {url}")


def _layout(port: str) -> tuple[dict[str, list[str]], str]:
    """helpdesk.launcher's processes, with the load run's web workers and worker pool size."""
    from helpdesk.launcher import app_processes

    web_workers = int(os.environ.get("LOAD_WEB_WORKERS", "2"))
    concurrency = os.environ.get("LOAD_WORKER_CONCURRENCY", "2")
    # LOAD_PROCESSES=web: an experiment without the worker and beat (their CPU out of the way;
    # webhooks then only queue up).
    wanted = os.environ.get("LOAD_PROCESSES", "web,worker,beat").split(",")
    commands = {name: list(cmd) for name, cmd in app_processes(port).items() if name in wanted}
    if web_workers > 1:
        commands["web"] += ["--workers", str(web_workers)]
    # uvicorn closes a keep-alive connection idle for 5 s, the users' own pacing: a request
    # sent on it as it closes fails ("Remote end closed connection"). Browsers retry a GET;
    # a webhook's POST would be lost. Behind a proxy its upstream idle timeout rules instead.
    keep_alive = os.environ.get("LOAD_KEEP_ALIVE", "75")
    commands["web"] += ["--timeout-keep-alive", keep_alive]
    if worker := commands.get("worker"):
        worker[worker.index("--concurrency") + 1] = concurrency
    if beat := commands.get("beat"):  # its own schedule file: a dev instance's is not touched
        beat[beat.index("--schedule") + 1] = str(LOGS / "celerybeat-schedule")
    text = (
        f"{web_workers} uvicorn process(es) (keep-alive {keep_alive} s), a Celery worker with "
        f"{concurrency} pool process(es) on every queue, beat"
    )
    return commands, text


def _rate() -> float:
    """LOAD_RATE actions/s (default 8), or `capacity`: the last capacity run's rate within
    the targets (bench/load.json), or else its saturation capacity."""
    wanted = os.environ.get("LOAD_RATE", "8")
    if wanted != "capacity":
        return float(wanted)
    found = json.loads((OUT / "load.json").read_text())["capacity"]
    rate = found["sustained_rate"] or found.get("saturation_rate")
    if rate is None:
        raise SystemExit("the last capacity run found no rate: every step saturated")
    return float(rate)


def _locust(env: dict, capacity: bool, port: str) -> list[str]:
    if capacity:
        seconds = WARMUP_SECONDS + len(capacity_rates()) * step_seconds() + 5
        users = ["-t", f"{int(seconds)}s"]  # the shape sets the users and stops the run
    else:
        count = users_for(_rate())
        users = ["-u", str(count), "-r", str(max(2, count // 5))]
        users += ["-t", os.environ.get("LOAD_DURATION", "10m")]
    # LOAD_LOCUST_NICE=10: the load generator yields the CPU to the app it measures.
    nice = int(os.environ.get("LOAD_LOCUST_NICE", "0"))
    return [
        *(["nice", "-n", str(nice)] if nice else []),
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", *users,
        "--host", f"http://127.0.0.1:{port}", "--csv", str(LOGS / "locust"), "--only-summary",
        "--stop-timeout", "10",
    ]  # fmt: skip


def _section(capacity: bool, seconds: float, samples: dict) -> dict:
    if capacity:
        rates = os.environ.get("LOAD_CAPACITY_RATES")
        return {
            **capacity_section(samples["steps"]),
            "step_seconds": step_seconds(),
            "warmup_seconds": WARMUP_SECONDS,
            "settle_seconds": SETTLE_SECONDS,
            "command": "LOAD_CAPACITY=1 "
            + (f"LOAD_CAPACITY_RATES={rates} " if rates else "")
            + f"LOAD_STEP_SECONDS={step_seconds():g} make load",
        }
    rate = _rate()
    per_name = summarize(samples["samples"], SETTLE_SECONDS, seconds)
    # The warm second half on its own: a p95 made by the first minutes' cold caches shows.
    for name, row in summarize(samples["samples"], seconds / 2, seconds).items():
        per_name[name]["p95_second_half_ms"] = row["p95_ms"]
    judged = verdict(per_name, errors=errors_between(samples["samples"], 0, seconds + 60))
    measured = round(sum(row["per_second"] for row in per_name.values()), 2)
    return {
        "rate": rate,
        "users": users_for(rate),
        "pacing": PACING,
        "settle_seconds": SETTLE_SECONDS,
        "measured_per_second": measured,
        "per_name": per_name,
        **judged,
        "command": f"LOAD_RATE={rate:g} LOAD_DURATION={os.environ.get('LOAD_DURATION', '10m')}"
        " make load",
    }


def _drain(redis_url: str, limit: float = 120) -> float | None:
    """Seconds after the load stopped until the worker's queues were empty (None: still
    busy after `limit`): a worker that kept up drains at once."""
    if not redis_url:
        return None
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if not any(queue_backlog(redis_url).values()):
            return round(time.monotonic() - started, 1)
        time.sleep(1)
    return None


def _cpu_budget(section: dict) -> None:
    """Cores the app kept busy (web, worker, beat and their PostgreSQL backends) and CPU per
    request or frame; the rate at which that would fill two cores is a ceiling that the
    machine's noise does not move much (latency targets are met well below it)."""
    if "measured_per_second" not in section:
        return
    used = sum(v for k, v in section["cpu_seconds"].items() if k != "locust")
    busy = used / max(section["seconds"], 1)
    per_request = 1000 * busy / max(section["measured_per_second"], 1e-9)
    section["app_cores_busy"] = round(busy, 2)
    section["app_cpu_ms_per_request"] = round(per_request, 1)
    section["two_core_ceiling_per_second"] = round(2000 / per_request, 1) if per_request else None


def main() -> int:
    port = os.environ.get("LOAD_PORT", "8121")
    capacity = os.environ.get("LOAD_CAPACITY") == "1"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ANYMAIL_WEBHOOK_SECRET": MAIL_SECRET,
        "LOAD_FIXTURES": str(FIXTURES),
        "LOAD_SAMPLES": str(LOGS / "samples.json"),
        "PGAPPNAME": APP_NAME,  # the PostgreSQL backends serving the run are found by it
        "SERVER_TIMING": "1",  # the app's own time in every answer (helpdesk/asgi.py)
    }
    setup(
        env,
        FIXTURES,
        os.environ.get("LOAD_CHAT_VISITORS", "300"),
        migrate=os.environ.get("LOAD_MIGRATE", "1") == "1",
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "samples.json").unlink(missing_ok=True)
    commands, layout_text = _layout(port)
    processes = {
        name: subprocess.Popen(  # noqa: S603 - our own commands
            cmd,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stderr=subprocess.STDOUT,
            stdout=open(LOGS / f"{name}.log", "wb"),  # noqa: SIM115 - the child owns it
        )
        for name, cmd in commands.items()
    }
    pids = {name: process.pid for name, process in processes.items()}
    section: dict = {"layout": {n: shlex.join(c[1:]) for n, c in commands.items()}}
    try:
        _wait_ready(f"http://127.0.0.1:{port}/healthz")
        time.sleep(5)  # the worker and beat finish starting
        section["rss_start_mb"] = {n: tree_rss_mb(p) for n, p in pids.items()}
        redis_url = os.environ.get("REDIS_URL", "")
        backlog_start = queue_backlog(redis_url) if redis_url else {}
        cpu_before = {n: tree_cpu_seconds(p) for n, p in pids.items()}
        every = float(os.environ.get("LOAD_RSS_EVERY", "30"))
        sampler = Sampler(pids, every, os.environ.get("DATABASE_URL", ""))
        sampler.start()
        started = time.monotonic()
        locust = subprocess.Popen(_locust(env, capacity, port), cwd=ROOT, env=env)  # noqa: S603
        locust_cpu = 0.0
        while locust.poll() is None:
            locust_cpu = max(locust_cpu, tree_cpu_seconds(locust.pid))
            time.sleep(2)
        seconds = round(time.monotonic() - started)
        sampler.stopped.set()
        section["celery_backlog"] = {
            "start": backlog_start,
            "end": queue_backlog(redis_url) if redis_url else {},
        }
        section["celery_drained_after_s"] = _drain(redis_url)
        section["seconds"] = seconds
        cpu = {n: round(tree_cpu_seconds(p) - cpu_before[n], 1) for n, p in pids.items()}
        cpu["postgres"] = sampler.postgres_cpu_seconds()
        section["cpu_seconds"] = {**cpu, "locust": locust_cpu}
        section["rss_timeline_mb"] = sampler.samples
        section["rss_second_half_growth_mb"] = sampler.second_half_growth_mb()
        section["rss_end_mb"] = {n: tree_rss_mb(p) for n, p in pids.items()}
        section["alive_at_end"] = {n: p.poll() is None for n, p in processes.items()}
        section["locust_exit_code"] = locust.returncode
        samples = json.loads((LOGS / "samples.json").read_text())
        section.update(_section(capacity, seconds, samples))
        _cpu_budget(section)
        section["failures"] = samples["failures"]
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
    section["layout_text"] = layout_text
    section["worker"] = worker_tasks(LOGS / "worker.log", LOGS / "beat.log", seconds)
    section["load_average_at_end"] = round(os.getloadavg()[0], 2)
    OUT.mkdir(parents=True, exist_ok=True)
    output = OUT / "load.json"
    try:
        result = json.loads(output.read_text())
    except (OSError, ValueError):
        result = {}
    if "steady" not in result and "capacity" not in result:
        result = {}  # the old one-run format
    result["capacity" if capacity else "steady"] = section
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (OUT / "LOAD.md").write_text(markdown(result))
    print(markdown({("capacity" if capacity else "steady"): section}))
    if capacity:
        return 0 if section["saturation_rate"] is not None else 1
    return 0 if section["errors"] == 0 and all(section["alive_at_end"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
