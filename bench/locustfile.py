"""Load scenario (issue #11): agents, customers, widget chats and inbound messages arriving at
a steady rate.

    make load                          # bench/load.py: the whole stack, 10 minutes
    .venv/bin/locust -f bench/locustfile.py --host http://127.0.0.1:8000 -u 50 -r 10
      (needs the fixtures file bench/load.py writes: LOAD_FIXTURES, default var/load-fixtures.json)

Every user starts one action every LOAD_PACING seconds on average, the gaps drawn at random
(bench/load_mix.pacing: together a Poisson stream, an open model of slow users, so
`users = rate × pacing`); with LOAD_CAPACITY=1 a load shape steps the rate up
(LOAD_CAPACITY_RATES, LOAD_STEP_SECONDS each) and stops after the first saturated step
(bench/load_capacity.py: errors, a growing Celery backlog, or latency past twice the lowest
rate's). Every measured request and frame is recorded with its time
(bench/load_mix.Recorder) into LOAD_SAMPLES for bench/load.py's numbers.

- agents (signed in already: a session cookie from the fixtures), each with the live inbox
  socket open (/ws/agent/: every event, presence on the ticket opened, pings): the inbox in
  its views, a ticket page and its sidebar panels, a reply (an internal note: nothing leaves), an inbox
  search, a customer's 360 page;
- a manager: the dashboards;
- customers: help-center search, suggestions and articles, the contact form (the web-form
  channel: a ticket through the real ingest path);
- widget-chat customers: bench/load_chat.py (WebSocket /ws/chat/);
- inbound: Telegram updates with the secret-token header, and mail pushed by an email
  service (Postmark's inbound JSON with the raw mail, basic auth) to /webhooks/email/postmark/,
  each stored raw → worker → ticket.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import re
import sys
import time
import uuid
from pathlib import Path

from locust import HttpUser, LoadTestShape, events, task

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_capacity import backlog_total, judge_step  # noqa: E402
from bench.load_chat import AgentSocket, ChatCustomer  # noqa: E402
from bench.load_mix import (  # noqa: E402
    WARMUP_SECONDS,
    WEIGHTS,
    Recorder,
    capacity_rates,
    pacing,
    parse_server_timing,
    step_seconds,
    users_for,
)
from bench.mail_ingest import make_mail  # noqa: E402

FIXTURES = Path(os.environ.get("LOAD_FIXTURES", ROOT / "var" / "load-fixtures.json"))
SAMPLES = Path(os.environ.get("LOAD_SAMPLES", ROOT / "var" / "load-logs" / "samples.json"))
SEARCHES = {
    "ja": ["返品", "配送 日数", "パスワード", "支払い 方法", "キャンセル", "送料"],
    "en": ["refund", "shipping", "reset password", "cancel order", "warranty", "invoice"],
}
INBOX_SEARCHES = ["返品", "配送", "refund", "請求書", "order"]
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_numbers = itertools.count(int(time.time() * 1000) % 1_000_000_000)
_SMALL_PDF = b"%PDF-1.4\n" + os.urandom(20 * 1024)  # one mail in 20 carries it
DATA = json.loads(FIXTURES.read_text()) if FIXTURES.exists() else {}
ChatCustomer.fixtures = DATA
recorder = Recorder()


@events.request.add_listener
def _record(name, response_time, exception=None, response=None, **kwargs):
    # The app's own time and how busy its process was (helpdesk/asgi.py, SERVER_TIMING=1).
    timing = getattr(response, "headers", {}).get("server-timing", "") if response else ""
    recorder.add(name, response_time, exception, *parse_server_timing(timing))


@events.quitting.add_listener
def _write_samples(environment, **kwargs):
    SAMPLES.parent.mkdir(parents=True, exist_ok=True)
    recorder.write(SAMPLES)
    if environment.stats.total.fail_ratio > 0:
        environment.process_exit_code = 1


class _SignedIn(HttpUser):
    """A staff member whose browser already holds a session (sign-in is not what is measured:
    agents sign in once a day). CSRF: the cookie and the form field only have to match."""

    abstract = True
    wait_time = pacing()
    sessions_key = "agent_sessions"

    def on_start(self):
        self.csrf = DATA["csrf"]
        self.session = random.choice(DATA[self.sessions_key])
        self.client.cookies.set("sessionid", self.session)
        self.client.cookies.set("csrftoken", self.csrf)


class Agent(_SignedIn):
    """An agent with the inbox open: its live socket stays connected the whole run."""

    weight = WEIGHTS["Agent"]

    def on_start(self):
        super().on_start()
        self.socket = AgentSocket(self.environment, self.host, self.session)
        self.socket.open()

    def on_stop(self):
        self.socket.close()

    @task(4)
    def inbox(self):
        view = random.choice(["", "?view=open", "?view=unassigned", "?view=mine"])
        self.client.get(f"/agent/{view}", name="agent inbox")

    @task(4)
    def ticket(self):
        pk = random.choice(DATA["tickets"])
        self.client.get(f"/agent/tickets/{pk}/", name="agent ticket page")
        self.socket.viewing(pk)
        self.client.get(f"/agent/tickets/{pk}/sidebar/", name="agent ticket sidebar")

    @task(1)
    def reply(self):
        pk = random.choice(DATA["tickets"])
        self.client.post(
            f"/agent/tickets/{pk}/reply/",
            {
                "body": f"Load note {uuid.uuid4().hex[:8]}",
                "internal": "on",
                "status": "",
                "send_anyway": "1",
                "csrfmiddlewaretoken": self.csrf,
            },
            headers={"Referer": f"{self.host}/agent/tickets/{pk}/", "X-CSRFToken": self.csrf},
            name="agent reply",
        )

    @task(1)
    def search(self):
        self.client.get(
            "/agent/", params={"q": random.choice(INBOX_SEARCHES)}, name="agent inbox search"
        )

    @task(1)
    def customer(self):
        self.client.get(
            f"/agent/customers/{random.choice(DATA['customers'])}/", name="customer 360"
        )


class Manager(_SignedIn):
    weight = WEIGHTS["Manager"]
    sessions_key = "manager_sessions"

    @task(3)
    def now(self):
        self.client.get("/dashboards/", name="dashboard now")

    @task(1)
    def performance(self):
        self.client.get("/dashboards/performance/?period=30", name="dashboard performance")


class Customer(HttpUser):
    weight = WEIGHTS["Customer"]
    wait_time = pacing()

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
        self.client.get(random.choice(DATA["articles"]), name="help article")

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


class Inbound(HttpUser):
    """Messages pushed by the platforms: three Telegram updates for every mail."""

    weight = WEIGHTS["Inbound"]
    wait_time = pacing()

    @task(3)
    def telegram(self):
        update = next(_numbers)
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
            f"/webhooks/telegram/{DATA['telegram_account']}/",
            json=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": DATA["telegram_secret"]},
            name="telegram webhook",
        )

    @task(1)
    def mail(self):
        # bench/mail_ingest.py's mix (ja/en, HTML, ISO-2022-JP, Shift_JIS, replies); the raw
        # bytes travel in RawEmail as Postmark sends them ("Include raw email content").
        number = next(_numbers)
        number += number % 5 == 3  # not the 8-bit Shift_JIS one: JSON carries text only
        raw = make_mail(number, _SMALL_PDF).decode("utf-8", "surrogateescape")
        payload = {
            "RecordType": "Inbound",
            "MessageStream": "inbound",
            "OriginalRecipient": "support@madoguchi.localhost",
            "Headers": [],
            "Attachments": [],
            "RawEmail": raw,
        }
        secret = base64.b64encode(DATA["mail_webhook_secret"].encode()).decode()
        self.client.post(
            "/webhooks/email/postmark/",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json", "Authorization": f"Basic {secret}"},
            name="mail webhook",
        )


if os.environ.get("LOAD_CAPACITY") == "1":

    class CapacitySteps(LoadTestShape):
        """The rate steps up every LOAD_STEP_SECONDS after LOAD_WARMUP_SECONDS at the first
        rate; each step is judged as it ends (bench/load_capacity.judge_step: its steady part
        against the targets and against the first step, the light-load baseline, and the
        Celery backlog over it), and the run ends after the first saturated step."""

        rates = capacity_rates()
        seconds = step_seconds()
        redis_url = os.environ.get("REDIS_URL", "")
        backlog_at_step_start: int | None = None

        def tick(self):
            elapsed = self.get_run_time() - WARMUP_SECONDS
            if elapsed < 0:
                users = users_for(self.rates[0])
                return users, max(2.0, users / 5)
            index = int(elapsed // self.seconds)
            if index == 0 and not recorder.steps and self.backlog_at_step_start is None:
                self.backlog_at_step_start = backlog_total(self.redis_url)
            if index > len(recorder.steps):  # step index - 1 just ended: judge it
                now = recorder.now()
                backlog = backlog_total(self.redis_url)
                step = judge_step(
                    recorder,
                    self.rates[index - 1],
                    now - self.seconds,
                    now,
                    (self.backlog_at_step_start, backlog),
                )
                self.backlog_at_step_start = backlog
                recorder.steps.append(step)
                if step["saturated"]:
                    return None
            if index >= len(self.rates):
                return None
            users = users_for(self.rates[index])
            return users, max(2.0, users / 5)
