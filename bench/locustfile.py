"""Load scenario (issue #11): agents, customers and inbound webhooks at a steady rate.

    make load                          # the stack on var/bench (or DATABASE_URL), 10 minutes
    LOAD_DURATION=2m LOAD_USERS=12 make load
    .venv/bin/locust -f bench/locustfile.py --host http://127.0.0.1:8000   # against a running one

Run as a script (what `make load` does), it migrates, creates its fixtures (an agent, a
Telegram account, open tickets; idempotent), starts web + worker + beat exactly as
`helpdesk.launcher run` does on its own port, runs locust headless for LOAD_DURATION and writes
bench/load.json: p95 per request type, errors, requests/s, and the RSS of every app process at
start and end (memory growth). Loopback only.

The users, each at a constant rate (constant_throughput, so a slow server is not hidden by
users waiting longer):
- agents: sign in, open the inbox, open tickets, reply (an internal note: nothing leaves);
- customers: help-center search, suggestions and article pages, and the contact form
  (the web-form channel: a ticket through the real ingest path). The chat widget's
  WebSocket is not driven here; bench/chat.py measures it;
- webhooks: Telegram updates with the secret-token header, each a new message (new or
  existing conversation) through InboundEvent → worker → ticket.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from locust import HttpUser, constant_throughput, events, task

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("LOAD_FIXTURES", ROOT / "var" / "load-fixtures.json"))
AGENT_PASSWORD = "load-agent-password"  # a bench-only account on a loopback-only server
SEARCHES = {
    "ja": ["返品", "配送 日数", "パスワード", "支払い 方法", "キャンセル", "送料"],
    "en": ["refund", "shipping", "reset password", "cancel order", "warranty", "invoice"],
}
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_update_ids = itertools.count(int(time.time() * 1000) % 1_000_000_000)


def _fixtures() -> dict:
    return json.loads(FIXTURES.read_text())


# ------------------------------------------------------------------------ users


class Agent(HttpUser):
    weight = 3
    wait_time = constant_throughput(0.5)  # one action every 2 s per agent

    def on_start(self):
        self.data = _fixtures()
        page = self.client.get("/accounts/login/", name="login page")
        token = _CSRF.search(page.text)
        self.client.post(
            "/accounts/login/",
            {
                "login": self.data["agent_email"],
                "password": AGENT_PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
        )

    @task(5)
    def inbox(self):
        self.client.get("/agent/", name="agent inbox")

    @task(4)
    def ticket(self):
        self.client.get(
            f"/agent/tickets/{random.choice(self.data['tickets'])}/", name="agent ticket page"
        )

    @task(1)
    def reply(self):
        pk = random.choice(self.data["tickets"])
        self.client.post(
            f"/agent/tickets/{pk}/reply/",
            {
                "body": f"Load note {uuid.uuid4().hex[:8]}",
                "internal": "on",
                "status": "",
                "send_anyway": "1",
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={
                "Referer": f"{self.host}/agent/tickets/{pk}/",
                "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
            },
            name="agent reply",
        )


class Customer(HttpUser):
    weight = 6
    wait_time = constant_throughput(0.5)

    def on_start(self):
        self.data = _fixtures()

    @task(5)
    def search(self):
        lang = random.choice(["ja", "en"])
        self.client.get(
            f"/help/{lang}/search/", params={"q": random.choice(SEARCHES[lang])}, name="help search"
        )

    @task(3)
    def suggest(self):
        lang = random.choice(["ja", "en"])
        self.client.get(
            f"/help/{lang}/search/suggest/",
            params={"q": random.choice(SEARCHES[lang])[:3]},
            name="help suggest",
        )

    @task(5)
    def article(self):
        self.client.get(random.choice(self.data["articles"]), name="help article")

    @task(1)
    def contact(self):
        lang = random.choice(["ja", "en"])
        page = self.client.get(f"/help/{lang}/contact/", name="contact form page")
        csrf, token = _CSRF.search(page.text), _FORM_TOKEN.search(page.text)
        if not (csrf and token):
            return
        number = random.randrange(400)
        self.client.post(
            f"/help/{lang}/contact/",
            {
                "name": f"Load customer {number}",
                "email": f"load{number}@customers.example",
                "subject": "Where is my order?",
                "message": f"Order {uuid.uuid4().hex[:8]} is late.",
                "form_token": token.group(1),
                "csrfmiddlewaretoken": csrf.group(1),
            },
            headers={"Referer": f"{self.host}/help/{lang}/contact/"},
            name="contact form send",
        )


class Webhook(HttpUser):
    weight = 1
    wait_time = constant_throughput(2)  # two inbound messages a second per webhook user

    def on_start(self):
        self.data = _fixtures()

    @task
    def telegram(self):
        update = next(_update_ids)
        chat = 7_000_000 + update % 300  # 300 customers writing again and again
        body = {
            "update_id": update,
            "message": {
                "message_id": update,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "Load"},
                "text": f"荷物がまだ届きません ({update})",
            },
        }
        self.client.post(
            f"/webhooks/telegram/{self.data['telegram_account']}/",
            json=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": self.data["telegram_secret"]},
            name="telegram webhook",
        )


# Locust's own pacing check: a user that cannot keep its rate says so in the log.
@events.quitting.add_listener
def _report_failures(environment, **kwargs):
    if environment.stats.total.fail_ratio > 0:
        environment.process_exit_code = 1


# ------------------------------------------------------------------------ `make load`

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
    FIXTURES.write_text(setup.stdout.split("FIXTURES", 1)[1])
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
                str(Path(__file__)),
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
