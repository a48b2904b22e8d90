"""Redis (the Celery broker) dies while mail is flowing and comes back empty-handed.

The raw mail is in PostgreSQL before anything is queued, so nothing may be lost: the worker
reconnects by itself, the beat sweep re-queues what the dead broker forgot, and every mail
becomes exactly one message on one ticket.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from channels_in.models import InboundEvent, InboundStatus
from channels_in.services import record_raw_mail
from helpdesk.celery import app as celery_app
from helpdesk.embedded import EmbeddedRedis
from helpdesk.settings import celery_broker_url
from tests.live_processes import ROOT, app_env, worker_command
from tickets.models import Message, Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

BEFORE, DURING, AFTER = 40, 10, 20


def mail(n: int) -> bytes:
    return (
        f"From: Customer {n} <c{n}@example.com>\r\n"
        f"To: support@madoguchi.localhost\r\n"
        f"Subject: Order {n} did not arrive\r\n"
        f"Message-ID: <redis-restart-{n}@example.com>\r\n"
        f"Date: Sun, 22 Nov 2026 10:00:00 +0900\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Where is order {n}?\r\n"
    ).encode()


@pytest.fixture
def broker(tmp_path):
    """A Redis of this test's own, which the test kills; tasks really go to it."""
    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="redis-")))  # short unix socket path
    redis.start()
    eager = celery_app.conf.task_always_eager
    broker_url = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = celery_broker_url(redis.url())
    _forget_connections()
    yield redis
    celery_app.conf.task_always_eager = eager
    celery_app.conf.broker_url = broker_url
    _forget_connections()
    redis.stop()
    shutil.rmtree(redis.folder, ignore_errors=True)


def test_a_broker_restart_loses_no_mail_and_doubles_none(broker, tmp_path):
    env = app_env(
        REDIS_URL=broker.url(),
        MADOGUCHI_VAR_DIR=str(tmp_path),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        worker_command(), cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        for n in range(BEFORE):
            record_raw_mail(mail(n), source="test")
        _wait_for(lambda: _processed() >= BEFORE // 4, worker, log, "the worker to start")

        broker.process.kill()  # SIGKILL: whatever was queued and not yet saved is gone
        broker.process.wait(10)
        for n in range(BEFORE, BEFORE + DURING):  # mail keeps arriving while it is down
            record_raw_mail(mail(n), source="test")
        broker.start()
        _forget_connections()
        for n in range(BEFORE + DURING, BEFORE + DURING + AFTER):
            record_raw_mail(mail(n), source="test")

        # Beat's sweep, a few minutes later, re-queues whatever the lost broker forgot.
        InboundEvent.objects.filter(status=InboundStatus.RECEIVED).update(
            received_at=timezone.now() - timedelta(minutes=5)
        )
        celery_app.send_task("channels_in.tasks.retry_pending_inbound")
        total = BEFORE + DURING + AFTER
        _wait_for(lambda: _processed() == total, worker, log, "every mail to be processed")
    finally:
        worker.terminate()
        worker.wait(20)

    assert InboundEvent.objects.count() == total
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {InboundStatus.PROCESSED}
    assert Message.objects.count() == total
    assert Ticket.objects.count() == total
    assert sorted(Message.objects.values_list("external_id", flat=True)) == sorted(
        f"<redis-restart-{n}@example.com>" for n in range(total)
    )


def _forget_connections() -> None:
    """Publish through fresh connections to whatever broker_url says now."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _processed() -> int:
    return InboundEvent.objects.filter(status=InboundStatus.PROCESSED).count()


def _wait_for(
    condition: Callable[[], bool], worker: subprocess.Popen, log: Path, what: str
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(
        f"timed out waiting for {what}\n--- worker log\n" + log.read_text(errors="replace")[-5000:]
    )
