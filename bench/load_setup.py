"""bench/load.py's fixtures: what the scenario's users need in the database (sessions, a
Telegram account, chat visitors, tickets, customers and articles to open; idempotent), and the
stand-in Telegram Bot API the Telegram account talks to during the run."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIL_SECRET = "load:load-mail-secret"  # basic auth of the inbound-mail webhook, loopback only

SETUP = r"""
import json, random, sys
from django.test import Client
from channels_in.models import SocialAccount
from helpdesk.models import User
from knowledge.selectors import visible_translations
from knowledge.seo import article_path
from tickets.models import Ticket
from bench.chat_support import CSRF, prepare
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, MessageFactory

def staff(email, fallback, role):
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        user, _ = User.objects.get_or_create(email=fallback, defaults={"name": fallback})
        user.role = role; user.is_active = True; user.set_unusable_password(); user.save()
    return user

def sessions(user, count):
    found = []
    for _ in range(count):
        browser = Client(); browser.force_login(user); found.append(browser.cookies["sessionid"].value)
    return found

from bench.datagen import drop_leftovers_of_stamped_dataset
# Every run starts from the generated data set: earlier runs' tickets are not the newest.
drop_leftovers_of_stamped_dataset(log=lambda line: print(line, file=sys.stderr))
agent = staff("agent0-0@bench.example", "load-agent@bench.example", "agent")
manager = staff("manager@bench.example", "load-manager@bench.example", "manager")
account = SocialAccount.objects.filter(kind="telegram", name="Load bot").first()
if account is None:
    account = SocialAccount(kind="telegram", name="Load bot", external_id="loadbot")
account.api_base_url = sys.argv[3]
account.set_secret("load-telegram-secret"); account.set_access_token("0:load"); account.save()
if Ticket.objects.count() < 50:
    for n in range(50):
        customer = CustomerFactory(email=f"seed{n}@customers.example")
        identity = IdentityFactory(handle=customer.email, customer=customer)
        ticket = TicketFactory(identity=identity, customer=customer, subject=f"Load ticket {n}")
        MessageFactory(ticket=ticket, identity=identity, body_text="Where is my parcel?")
# The newest tickets (the load's own among them) and as many spread over the whole table.
newest = list(Ticket.objects.order_by("-id").values_list("id", flat=True)[:100])
top = newest[0] if newest else 1
spread = list(Ticket.objects.filter(pk__in=random.sample(range(1, top + 1), min(top, 400)))
              .values_list("id", flat=True)[:100])
tickets = newest + spread
customers = sorted({c for c in Ticket.objects.filter(pk__in=tickets)
                    .values_list("customer_id", flat=True) if c})
articles = [article_path(t) for t in visible_translations(None)
            .only("article_id", "language", "slug").order_by("-id")[:300]]
print("FIXTURES" + json.dumps({
    "tickets": tickets, "customers": customers[:150], "articles": articles,
    "agent_sessions": sessions(agent, 8), "manager_sessions": sessions(manager, 2), "csrf": CSRF,
    "telegram_account": account.pk, "telegram_secret": "load-telegram-secret",
    "mail_webhook_secret": sys.argv[1], "chat": prepare(int(sys.argv[2]))}))
"""


class _TelegramPeer(http.server.BaseHTTPRequestHandler):
    """The Bot API as far as the load needs it: the customers have no profile photo (the
    avatar task asks once per new identity; Telegram answers an empty list)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        ok = {"ok": True, "result": True}
        if "/getUserProfilePhotos" in self.path:
            ok = {"ok": True, "result": {"total_count": 0, "photos": []}}
        body = json.dumps(ok).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


def telegram_peer() -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TelegramPeer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def setup(env: dict, fixtures_path: Path, visitors: str, migrate: bool) -> dict:
    """Migrate (a fresh clone's bench database; `migrate=False` leaves a shared one alone:
    other people's unfinished migrations are theirs to apply), then write the fixtures file
    the locust users read."""
    argv = ["", MAIL_SECRET, visitors, telegram_peer()]
    code = f"import sys; sys.argv={argv!r}\n" + SETUP
    python = sys.executable
    if migrate:
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [python, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    for line in made.stderr.splitlines():
        if line.startswith("removed "):
            print(line, flush=True)
    fixtures = json.loads(made.stdout.split("FIXTURES", 1)[1])
    fixtures_path.parent.mkdir(parents=True, exist_ok=True)
    fixtures_path.write_text(json.dumps(fixtures))
    return fixtures
