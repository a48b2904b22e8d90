"""Crash safety with real processes: a Celery worker polling a real IMAP mailbox is SIGKILLed in
the middle of a batch, restarted, and every mail ends up stored exactly once.

The worker is a subprocess on this test's database and Redis, so the test works on committed
data (`transaction=True`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from channels_in.mailbox.lock import mailbox_lock
from channels_in.mailbox.poll import BATCH_SIZE
from channels_in.models import InboundEvent, MailboxCheckpoint
from helpdesk.celery import app as celery_app
from helpdesk.embedded import EmbeddedRedis
from helpdesk.settings import celery_broker_url
from tests.channels_in.mailbox_mail import customer_mail, message_id
from tests.live_processes import ROOT, app_env, worker_command

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # In-process tests run tasks eagerly; this one sends them to the real worker on purpose.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

MAILS = 200
SLOW_WORKER = worker_command([sys.executable, "-m", "tests.channels_in.slow_celery"])


@pytest.fixture
def private_redis():
    """A Redis of this test's own: no other test run's worker can take its tasks (parallel
    runs on one machine share the per-xdist-worker databases of the usual Redis)."""
    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="redis-")))  # short unix socket path
    redis.start()
    yield redis
    redis.stop()
    shutil.rmtree(redis.folder, ignore_errors=True)


def test_a_worker_killed_mid_batch_stores_every_mail_exactly_once(
    dovecot, mail_account, tmp_path, private_redis
):
    dovecot.append_many([customer_mail(n) for n in range(1, MAILS + 1)])
    highest_uid = dovecot.uids()[-1]
    account = mail_account()
    env = app_env(
        REDIS_URL=private_redis.url(),
        MADOGUCHI_VAR_DIR=str(tmp_path),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    queue_poll = _poll_sender(private_redis.url())

    first = _start_worker(env, tmp_path / "worker-1.log")
    try:
        queue_poll(account.pk)
        # The next poll (beat's next tick, an admin's "Poll now") is queued while the first
        # runs — ahead of the processing tasks the first one queues for every stored mail.
        queue_poll(account.pk)
        # After the second batch committed, while the third lingers in its transaction.
        _wait_for(lambda: _stored() >= BATCH_SIZE + BATCH_SIZE // 2, first, "mid-batch")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    stored_at_kill = _stored()
    checkpoint_at_kill = _checkpoint(account)
    assert BATCH_SIZE < stored_at_kill < MAILS, "the kill did not land in the middle of the poll"
    assert checkpoint_at_kill < highest_uid
    # A batch's raws and the checkpoint past them commit together: none stored beyond it.
    assert stored_at_kill == checkpoint_at_kill

    _wait_for(_lock_is_free(account.pk), None, "the killed worker's lock to go")
    second = _start_worker(env, tmp_path / "worker-2.log")
    try:
        _wait_for(lambda: _checkpoint(account) == highest_uid, second, "the poll to finish")
    finally:
        _stop(second)

    keys = Counter(InboundEvent.objects.values_list("idempotency_key", flat=True))
    assert keys == Counter(message_id(n) for n in range(1, MAILS + 1))
    assert _checkpoint(account) == highest_uid
    assert dovecot.uids(criteria="UNSEEN") == []
    # Turning events into tickets is idempotent on its own (tests/channels_in/test_email_flow.py,
    # test_replay_inbound.py): exactly one event per mail is what the poller has to guarantee.


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    worker = subprocess.Popen(
        SLOW_WORKER, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    worker.log_path = log  # type: ignore[attr-defined]  # for the failure message
    return worker


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)


def _poll_sender(redis_url: str) -> Callable[[int], None]:
    def queue_poll(account_id: int) -> None:
        # send_task goes to the broker even though in-process tests run tasks eagerly.
        with celery_app.connection_for_write(celery_broker_url(redis_url)) as connection:
            celery_app.send_task(
                "channels_in.tasks.poll_mailbox", args=[account_id], connection=connection
            )

    return queue_poll


def _stored() -> int:
    return InboundEvent.objects.count()


def _checkpoint(account) -> int:
    found = MailboxCheckpoint.objects.filter(account=account).first()
    return found.last_uid if found else 0


def _lock_is_free(account_id: int) -> Callable[[], bool]:
    def free() -> bool:
        with mailbox_lock(account_id) as acquired:
            return acquired

    return free


def _wait_for(
    condition: Callable[[], bool],
    worker: subprocess.Popen | None,
    what: str,
    timeout: float = 90,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker exited while waiting for {what}{_log(worker)}")
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}{_log(worker)}")


def _log(worker: subprocess.Popen | None) -> str:
    if worker is None:
        return ""
    return "\n--- worker log\n" + worker.log_path.read_text(errors="replace")[-5000:]
