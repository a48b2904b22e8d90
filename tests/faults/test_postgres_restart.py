"""PostgreSQL crashes and comes back while webhooks and agents keep calling.

The web process and the Celery worker stay up the whole time. While the database is gone,
every request fails cleanly (a 5xx, so a provider retries its webhook; `/readyz` says 503 so a
load balancer stops sending traffic) and nothing answered with 200 is lost. Afterwards the
same processes serve again without a restart, and every update the provider sent is exactly
one stored event and one message.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests
from celery import Celery
from django.test import Client

from channels_in.models import SocialAccount
from channels_in.social_accounts import save_social_account
from helpdesk.settings import celery_broker_url
from tests.factories import UserFactory
from tests.faults.stack import PrivatePostgres, Stack, private_redis, stack_env

pytestmark = [pytest.mark.django_db(transaction=True)]

SECRET = "telegram-secret-token_faults"
UPDATES = 30


def update(update_id: int) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "from": {"id": 7000 + update_id, "is_bot": False, "first_name": "Taro"},
                "chat": {"id": 7000 + update_id, "first_name": "Taro", "type": "private"},
                "date": 1767225600,
                "text": f"注文 {update_id} が届きません",
            },
        }
    ).encode()


@dataclass
class Traffic:
    """A provider that retries until it gets a 2xx, and an agent reloading the inbox."""

    web: str
    account_id: int
    session: str
    accepted: set[int] = field(default_factory=set)
    webhook_statuses: list[int] = field(default_factory=list)
    agent_statuses: list[int] = field(default_factory=list)
    ready_statuses: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def post(self, update_id: int) -> int:
        try:
            response = requests.post(
                f"{self.web}/webhooks/telegram/{self.account_id}/",
                data=update(update_id),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                },
                timeout=15,
            )
        except requests.RequestException:
            return 0  # no answer at all: the provider retries, as for a 5xx
        return response.status_code

    def get(self, path: str, statuses: list[int], *, signed_in: bool = True) -> None:
        try:
            response = requests.get(
                f"{self.web}{path}", timeout=15, allow_redirects=False,
                cookies={"sessionid": self.session} if signed_in else {},
            )  # fmt: skip
            statuses.append(response.status_code)
        except requests.RequestException:
            statuses.append(0)

    def run(self) -> None:
        waiting = list(range(1, UPDATES + 1))
        while waiting and not self.stop.is_set():
            update_id = waiting.pop(0)
            status = self.post(update_id)
            self.webhook_statuses.append(status)
            if status == 200:
                self.accepted.add(update_id)
            else:
                waiting.append(update_id)  # redelivered later, like Telegram does
            self.get("/readyz", self.ready_statuses, signed_in=False)  # a load balancer
            if update_id % 2:
                self.get("/agent/", self.agent_statuses)
            time.sleep(0.05)


def test_a_database_restart_loses_no_webhook_and_doubles_none(tmp_path):
    agent = UserFactory(role="admin")
    browser = Client()
    browser.force_login(agent)
    account = save_social_account(
        SocialAccount(kind="telegram", name="Bot", api_base_url="http://127.0.0.1:9"),
        access_token="123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
        secret=SECRET,
    )
    postgres, redis = PrivatePostgres(), private_redis()
    stack = Stack(env={}, folder=tmp_path)
    try:
        postgres.start()
        postgres.clone_database()  # the agent, the session and the bot account come along
        stack.env = stack_env(tmp_path, DATABASE_URL=postgres.url(), REDIS_URL=redis.url())
        _web, url = stack.start_web()
        worker = stack.start_worker()

        traffic = Traffic(url, account.pk, browser.cookies["sessionid"].value)
        flow = threading.Thread(target=traffic.run, daemon=True)
        flow.start()
        stack.wait_for(lambda: len(traffic.accepted) >= 8, "webhooks to flow")

        postgres.crash()
        outage_started = len(traffic.webhook_statuses) + 1  # the request in flight may pass
        agent_started, ready_started = len(traffic.agent_statuses), len(traffic.ready_statuses)
        stack.wait_for(
            lambda: len(traffic.webhook_statuses) >= outage_started + 6, "traffic in the outage"
        )
        during = traffic.webhook_statuses[outage_started:]
        agent_during = traffic.agent_statuses[agent_started + 1 : -1]
        ready_during = traffic.ready_statuses[ready_started + 1 : -1]
        postgres.restart()

        flow.join(60)
        assert not flow.is_alive(), "the provider never got its updates accepted"
        assert traffic.accepted == set(range(1, UPDATES + 1))

        # Events whose task ran into the outage stay stored; beat's sweep (every minute)
        # picks them up once their backoff has passed, which we fast-forward.
        postgres.execute(
            "UPDATE channels_in_inboundevent SET received_at = now() - interval '5 minutes',"
            " next_attempt_at = now() - interval '1 second' WHERE status <> 'processed'"
        )
        # Not the current app: shared tasks of later tests must keep publishing to theirs.
        sweeper = Celery(broker=celery_broker_url(redis.url()), set_as_current=False)
        sweeper.send_task("channels_in.tasks.retry_pending_inbound", queue="default")
        stack.wait_for(
            lambda: (
                _count(postgres, "channels_in_inboundevent WHERE status = 'processed'") == UPDATES
            ),
            "every update to be processed",
        )
        assert worker.alive()
        after = requests.get(f"{url}/agent/", cookies={"sessionid": traffic.session}, timeout=15)
        ready = requests.get(f"{url}/readyz", timeout=15)
        events = postgres.query(
            "SELECT idempotency_key, status, message_id FROM channels_in_inboundevent"
        )
        messages = postgres.query("SELECT external_id, ticket_id FROM tickets_message")
    finally:
        if "traffic" in locals():
            traffic.stop.set()
        stack.stop_all()
        postgres.stop()
        redis.stop()

    # While the database was gone: clean 5xx answers, never a 200 for something not stored.
    assert during and all(status >= 500 or status == 0 for status in during), during
    assert any(status >= 500 for status in agent_during), agent_during
    assert 503 in ready_during, ready_during
    # And the same processes serve again.
    assert after.status_code == 200
    assert ready.status_code == 200, ready.text

    assert sorted(key for key, _status, _ in events) == sorted(
        f"{account.pk}:{n}" for n in range(1, UPDATES + 1)
    )
    assert {status for _key, status, _ in events} == {"processed"}
    assert len({message for *_, message in events}) == UPDATES
    # One message per update, one ticket per chat: nothing doubled by the retries.
    assert len(messages) == UPDATES
    assert len({external_id for external_id, _ in messages}) == UPDATES
    assert len({ticket for _, ticket in messages}) == UPDATES


def _count(postgres: PrivatePostgres, where: str) -> int:
    try:
        return postgres.query(f"SELECT count(*) FROM {where}")[0][0]
    except Exception:  # noqa: BLE001 - still recovering
        return -1
