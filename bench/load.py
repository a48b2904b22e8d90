"""`make load`: the load scenario of bench/locustfile.py against the whole stack (issue #11).

    make load                          # the stack on var/bench (or DATABASE_URL), 10 minutes
    LOAD_DURATION=2m LOAD_USERS=12 make load

It migrates, creates the scenario's fixtures (an agent, a Telegram account, open tickets;
idempotent), starts web + worker + beat exactly as `helpdesk.launcher run` does on its own port,
runs locust headless for LOAD_DURATION and writes bench/load.json: p50/p95/p99 per request
type, errors, requests/s, and the RSS of every app process every 30 s (memory growth: what the
second half of the run added). Loopback only.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("LOAD_FIXTURES", ROOT / "var" / "load-fixtures.json"))
AGENT_PASSWORD = "load-agent-password"  # a bench-only account on a loopback-only server
LOCUSTFILE = ROOT / "bench" / "locustfile.py"

SETUP = r"""
import json, sys
from django.utils import timezone
from channels_in.models import SocialAccount
from helpdesk.models import User
from knowledge.selectors import visible_translations
from knowledge.seo import article_path
from tickets.models import Ticket
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, MessageFactory

agent, _ = User.objects.get_or_create(email="load-agent@bench.example",
                                      defaults={"role": "agent", "name": "Load agent"})
agent.role = "agent"; agent.is_active = True; agent.set_password(sys.argv[1]); agent.save()
account = SocialAccount.objects.filter(kind="telegram", name="Load bot").first()
if account is None:
    account = SocialAccount(kind="telegram", name="Load bot", external_id="loadbot",
                            api_base_url="http://127.0.0.1:9/")
account.set_secret("load-telegram-secret"); account.set_access_token("0:load"); account.save()
tickets = list(Ticket.objects.order_by("-id").values_list("id", flat=True)[:200])
if len(tickets) < 50:
    for n in range(50 - len(tickets)):
        customer = CustomerFactory(email=f"seed{n}@customers.example")
        identity = IdentityFactory(handle=customer.email, customer=customer)
        ticket = TicketFactory(identity=identity, customer=customer, subject=f"Load ticket {n}")
        MessageFactory(ticket=ticket, identity=identity, body_text="Where is my parcel?")
    tickets = list(Ticket.objects.order_by("-id").values_list("id", flat=True)[:200])
articles = [article_path(t) for t in visible_translations(None)
            .only("article_id", "language", "slug").order_by("-id")[:300]]
print("FIXTURES" + json.dumps({"agent_email": agent.email, "tickets": tickets,
      "articles": articles, "telegram_account": account.pk,
      "telegram_secret": "load-telegram-secret"}))
"""


def _tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants (the Celery worker forks its pool)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
        todo += children.get(current, [])
    return round(total / 1024, 1)


class _RssSampler(threading.Thread):
    """RSS of every app process every `every` seconds while locust runs: a leak is a line that
    keeps rising in the second half; a warm-up is a step that then stays flat."""

    def __init__(self, processes: dict, every: float = 30):
        super().__init__(daemon=True)
        self.processes, self.every = processes, every
        self.samples: list[dict] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.stopped.wait(self.every):
            sample = {n: _tree_rss_mb(p.pid) for n, p in self.processes.items()}
            self.samples.append({"second": round(time.monotonic() - started), **sample})

    def second_half_growth_mb(self) -> dict:
        """Per process: RSS at the end minus RSS at the middle of the run."""
        if len(self.samples) < 4:
            return {}
        middle, last = self.samples[len(self.samples) // 2], self.samples[-1]
        return {n: round(last[n] - middle[n], 1) for n in self.processes}


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


def _stats(prefix: Path) -> dict:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    per_type = {
        row["Name"]: {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"] or 0),
            "p95_ms": float(row["95%"] or 0),
            "p99_ms": float(row["99%"] or 0),
            "rps": round(float(row["Requests/s"] or 0), 2),
        }
        for row in rows
    }
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
            failures = list(csv.DictReader(handle))
    return {"per_type": per_type, "failures": failures[:20]}


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from helpdesk.launcher import app_processes

    port = os.environ.get("LOAD_PORT", "8121")
    duration = os.environ.get("LOAD_DURATION", "10m")
    users = os.environ.get("LOAD_USERS", "20")
    python = sys.executable
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    setup = subprocess.run(
        [
            python,
            "manage.py",
            "shell",
            "-c",
            f"import sys; sys.argv=['', {AGENT_PASSWORD!r}]\n" + SETUP,
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    FIXTURES.parent.mkdir(parents=True, exist_ok=True)
    fixtures = json.loads(setup.stdout.split("FIXTURES", 1)[1])
    FIXTURES.write_text(json.dumps({**fixtures, "agent_password": AGENT_PASSWORD}))
    logs = ROOT / "var" / "load-logs"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {name: cmd for name, cmd in app_processes(port).items() if name != "idle"}
    processes = {
        name: subprocess.Popen(  # noqa: S603 - our own commands
            cmd,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stderr=subprocess.STDOUT,
            stdout=open(logs / f"{name}.log", "wb"),  # noqa: SIM115 - the child owns it
        )
        for name, cmd in commands.items()
    }
    result: dict = {"duration": duration, "users": int(users), "port": int(port)}
    try:
        _wait_ready(f"http://127.0.0.1:{port}/healthz")
        time.sleep(5)  # the worker and beat finish starting
        result["rss_start_mb"] = {n: _tree_rss_mb(p.pid) for n, p in processes.items()}
        prefix = logs / "locust"
        sampler = _RssSampler(processes)
        sampler.start()
        started = time.monotonic()
        run = subprocess.run(
            [
                python,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "-u",
                users,
                "-r",
                os.environ.get("LOAD_SPAWN_RATE", "4"),
                "-t",
                duration,
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
            ],
            cwd=ROOT,
            env=env,
        )
        result["seconds"] = round(time.monotonic() - started)
        sampler.stopped.set()
        result["rss_timeline_mb"] = sampler.samples
        result["rss_second_half_growth_mb"] = sampler.second_half_growth_mb()
        result["rss_end_mb"] = {n: _tree_rss_mb(p.pid) for n, p in processes.items()}
        result["alive_at_end"] = {n: p.poll() is None for n, p in processes.items()}
        result.update(_stats(prefix))
        total = result["per_type"].get("Aggregated", {})
        result["errors"] = total.get("failures", 0)
        result["requests"] = total.get("requests", 0)
        result["rps"] = total.get("rps", 0)
        result["locust_exit_code"] = run.returncode
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
    (ROOT / "bench" / "load.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    )
    print(
        json.dumps(
            {k: v for k, v in result.items() if k != "failures"}, indent=2, ensure_ascii=False
        )
    )
    return 0 if result.get("errors", 1) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
