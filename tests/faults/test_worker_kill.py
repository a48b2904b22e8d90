"""A Celery worker SIGKILLed in the middle of a task, with many more queued behind it.

acks_late keeps the killed task's message unacknowledged (Redis hands it out again only after
its visibility timeout), and beat's sweep re-queues whatever is still pending; a new worker
finishes the rest. Whatever the dead worker had written in its open transaction is gone with
it, so every inbound event becomes exactly one message and every reply is sent — once.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_in.models import DeliveryStatus, InboundEvent, InboundStatus, OutboundDelivery
from channels_in.services import record_raw_mail
from helpdesk.celery import app as celery_app
from helpdesk.settings import celery_broker_url
from tests.factories import IdentityFactory, MessageFactory, TicketFactory, UserFactory
from tests.faults.stack import Stack, private_redis, stack_env
from tests.live_processes import worker_command
from tests.smtp_server import LocalSMTPServer
from tickets.models import Message, Ticket
from tickets.services import reply

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

MAILS = 20
REPLIES = 10
LINGERING_WORKER = worker_command([sys.executable, "-m", "tests.faults.lingering_celery"])


@pytest.fixture
def broker():
    """A Redis of this test's own; the tasks this test process queues really go there."""
    redis = private_redis()
    eager, broker_url = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = celery_broker_url(redis.url())
    _forget_connections()
    yield redis
    celery_app.conf.task_always_eager = eager
    celery_app.conf.broker_url = broker_url
    _forget_connections()
    redis.stop()
    shutil.rmtree(redis.folder, ignore_errors=True)


@pytest.fixture
def smtp():
    server = LocalSMTPServer().start()
    yield server
    server.stop()


def _forget_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _stack(tmp_path, broker, smtp=None) -> Stack:
    mail = (
        {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
         "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port)}
        if smtp else {}
    )  # fmt: skip
    return Stack(env=stack_env(tmp_path, REDIS_URL=broker.url(), **mail), folder=tmp_path)


def _kill_where_it_lingers(stack: Stack, tmp_path, point: str, nth: int) -> str:
    """Start a worker that stops inside its `nth` task at `point`; SIGKILL it there."""
    marker = tmp_path / "lingering"
    stack.env = {**stack.env, "FAULT_LINGER_AT": point, "FAULT_LINGER_NTH": str(nth),
                 "FAULT_MARKER": str(marker)}  # fmt: skip
    doomed = stack.start("doomed-worker", LINGERING_WORKER)
    stack.wait_for(marker.exists, f"the worker to reach {point} in task {nth}", timeout=90)
    os.kill(doomed.popen.pid, signal.SIGKILL)
    doomed.popen.wait(10)
    for name in ("FAULT_LINGER_AT", "FAULT_LINGER_NTH", "FAULT_MARKER"):
        stack.env.pop(name)
    return marker.read_text()


def _sweep(task: str) -> None:
    """What beat does every minute, a few minutes later: re-queue whatever is still pending."""
    celery_app.send_task(task)


def mail(n: int) -> bytes:
    return (
        f"From: Customer {n} <kill{n}@example.com>\r\n"
        "To: support@madoguchi.localhost\r\n"
        f"Subject: Order {n}\r\n"
        f"Message-ID: <worker-kill-{n}@example.com>\r\n"
        "Date: Sun, 22 Nov 2026 10:00:00 +0900\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"注文 {n} はどこですか?\r\n"
    ).encode()


def test_a_worker_killed_mid_ingest_files_every_mail_exactly_once(broker, tmp_path):
    for n in range(MAILS):
        record_raw_mail(mail(n), source="test")
    stack = _stack(tmp_path, broker)
    try:
        # Killed with the 8th mail's message written but not committed.
        lingering = _kill_where_it_lingers(stack, tmp_path, "ingest", nth=8)
        assert not Message.objects.filter(external_id=lingering).exists()
        assert InboundEvent.objects.get(idempotency_key=lingering).status == InboundStatus.RECEIVED

        stack.start_worker()
        InboundEvent.objects.exclude(status=InboundStatus.PROCESSED).update(
            received_at=timezone.now() - timedelta(minutes=5)
        )
        _sweep("channels_in.tasks.retry_pending_inbound")
        stack.wait_for(
            lambda: InboundEvent.objects.filter(status=InboundStatus.PROCESSED).count() == MAILS,
            "every mail to be processed",
            timeout=120,
        )
    finally:
        stack.stop_all()

    assert Counter(InboundEvent.objects.values_list("status", flat=True)) == {
        InboundStatus.PROCESSED: MAILS
    }
    assert sorted(Message.objects.values_list("external_id", flat=True)) == sorted(
        f"<worker-kill-{n}@example.com>" for n in range(MAILS)
    )
    assert Ticket.objects.count() == MAILS
    assert InboundEvent.objects.filter(message__isnull=True).count() == 0


def _queue_replies() -> list[Message]:
    agent = UserFactory(role="agent")
    replies = []
    for n in range(REPLIES):
        identity = IdentityFactory(handle=f"buyer{n}@example.com")
        ticket = TicketFactory(identity=identity, customer=identity.customer, subject=f"注文 {n}")
        MessageFactory(ticket=ticket, identity=identity, external_id=f"<q{n}@example.com>")
        # Committed one by one; each queues its delivery task on commit.
        replies.append(reply(ticket=ticket, author=agent, body_text=f"確認します ({n})"))
    return replies


def _recover_deliveries(stack: Stack) -> None:
    stack.start_worker()
    OutboundDelivery.objects.filter(status=DeliveryStatus.QUEUED).update(
        created_at=timezone.now() - timedelta(minutes=5), next_attempt_at=None
    )
    _sweep("channels_in.tasks.retry_pending_outbound")
    stack.wait_for(
        lambda: not OutboundDelivery.objects.filter(status=DeliveryStatus.QUEUED).exists(),
        "every delivery to be sent",
        timeout=120,
    )


def _message_ids(smtp: LocalSMTPServer) -> Counter:
    return Counter(str(mail.parsed()["Message-ID"]) for mail in smtp.messages)


def test_a_worker_killed_mid_delivery_sends_every_reply_once(broker, smtp, tmp_path):
    replies = _queue_replies()
    stack = _stack(tmp_path, broker, smtp)
    try:
        # Killed holding the 5th delivery's row lock, before it spoke to the SMTP server.
        lingering = int(_kill_where_it_lingers(stack, tmp_path, "deliver", nth=5))
        assert OutboundDelivery.objects.get(pk=lingering).status == DeliveryStatus.QUEUED
        _recover_deliveries(stack)
    finally:
        stack.stop_all()

    assert Counter(OutboundDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.SENT: REPLIES
    }
    # Each reply reached the server exactly once, as the mail the ticket shows.
    assert _message_ids(smtp) == Counter(message.external_id for message in replies)


def test_a_worker_killed_after_the_server_accepted_resends_the_same_mail(broker, smtp, tmp_path):
    """The one window no sender can close: the SMTP server said 250 and the worker died before
    writing it down. The reply goes again — as the same mail (same Message-ID), which mail
    clients and Gmail show once — and every other reply exactly once."""
    replies = _queue_replies()
    stack = _stack(tmp_path, broker, smtp)
    try:
        lingering = int(_kill_where_it_lingers(stack, tmp_path, "delivered", nth=5))
        resent = OutboundDelivery.objects.select_related("message").get(pk=lingering)
        assert resent.status == DeliveryStatus.QUEUED
        _recover_deliveries(stack)
    finally:
        stack.stop_all()

    assert Counter(OutboundDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.SENT: REPLIES
    }
    expected = Counter(message.external_id for message in replies)
    expected[resent.message.external_id] += 1
    assert _message_ids(smtp) == expected
