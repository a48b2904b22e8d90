"""Load scenario (issue #11): agents, customers and inbound webhooks at a steady rate.

    make load                          # bench/load.py: the whole stack, 10 minutes
    .venv/bin/locust -f bench/locustfile.py --host http://127.0.0.1:8000   # against a running one
      (needs the fixtures file bench/load.py writes: LOAD_FIXTURES, default var/load-fixtures.json)

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

import itertools
import json
import os
import random
import re
import time
import uuid
from pathlib import Path

from locust import HttpUser, constant_throughput, events, task

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("LOAD_FIXTURES", ROOT / "var" / "load-fixtures.json"))
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
                "password": self.data["agent_password"],
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
