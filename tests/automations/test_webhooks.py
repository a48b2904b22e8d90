"""Outbound webhooks against a local HTTP server: signed, recorded, retried with backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from automations import tasks, webhooks
from automations.models import Automation, DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests-only-0123456789"


class Hook:
    """A Slack-like incoming-webhook endpoint: answers 200 "ok", or the scripted statuses."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[int] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append({"headers": dict(self.headers), "body": body})
                status = hook.script.pop(0) if hook.script else 200
                reply = b"ok" if status == 200 else b"invalid_token"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/XXXX"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    server = Hook()
    yield server
    server.close()


@pytest.fixture
def automation(hook):
    endpoint = WebhookEndpoint.objects.create(name="Slack #support", url=hook.url, secret=SECRET)
    return Automation.objects.create(
        name="urgent to Slack",
        event="created",
        keywords=["至急"],
        webhook=endpoint,
        notify_text="至急: #{{ticket.id}} {{ticket.subject}}",
    )


def test_matching_ticket_posts_a_signed_slack_message(receive, hook, automation):
    ticket = receive(subject="至急対応お願いします").ticket

    [request] = hook.requests
    body = request["body"]
    payload = json.loads(body)
    assert payload["text"] == f"至急: #{ticket.pk} 至急対応お願いします"
    assert payload["ticket"]["id"] == ticket.pk and payload["event"] == "created"
    headers = request["headers"]
    expected = hmac.new(
        SECRET.encode(), headers["X-Madoguchi-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Madoguchi-Signature"] == f"sha256={expected}"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 1, 200)
    assert headers["X-Madoguchi-Delivery"] == str(delivery.pk)


def test_server_errors_are_retried_with_backoff_until_sent(receive, hook, automation):
    hook.script = [500, 503]
    receive(subject="至急")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "HTTP 500" in delivery.error
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < first_wait <= timedelta(seconds=30)

    tasks.retry_due_webhooks()  # not due yet
    assert len(hook.requests) == 1

    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    tasks.retry_due_webhooks()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_status) == (2, 503)
    assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=50)  # doubled

    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    tasks.retry_due_webhooks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("sent", 3, None)
    assert len(hook.requests) == 3
    tasks.retry_due_webhooks()
    assert len(hook.requests) == 3  # a sent delivery is never posted again


def test_a_refused_request_is_not_retried(receive, hook, automation):
    hook.script = [403]
    receive(subject="至急")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert "invalid_token" in delivery.error


def test_unreachable_endpoint_fails_after_max_attempts(receive, automation):
    automation.webhook.url = "http://127.0.0.1:9/nothing-listens-here"
    automation.webhook.save()
    receive(subject="至急")
    delivery = WebhookDelivery.objects.get()
    for _ in range(webhooks.MAX_ATTEMPTS):
        WebhookDelivery.objects.filter(next_attempt_at__isnull=False).update(
            next_attempt_at=timezone.now()
        )
        tasks.retry_due_webhooks()
    delivery.refresh_from_db()
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert "ConnectError" in delivery.error


def test_a_rolled_back_write_posts_nothing(hook, automation, django_capture_on_commit_callbacks):
    from django.db import transaction

    from tickets.inbound import IncomingMessage
    from tickets.services import receive_message

    incoming = IncomingMessage(
        channel="email", identity_kind="email", handle="a@example.jp", subject="至急", body_text="x"
    )
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        receive_message(incoming)
        raise RuntimeError("the ingest failed after the ticket was written")
    assert callbacks == [] and hook.requests == []
    assert not WebhookDelivery.objects.exists()


def test_inactive_endpoint_is_not_posted_to(receive, hook, automation):
    WebhookEndpoint.objects.update(active=False)
    receive(subject="至急")
    assert hook.requests == [] and not WebhookDelivery.objects.exists()
