"""helpdesk.asgi_handler: the request's middleware and view run in one thread hop, and every
behaviour of the stack stays: security headers, sessions, CSRF, 404s, streamed files."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from helpdesk.asgi_handler import OneHopASGIHandler
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the view runs on a thread of its own


def call(path: str, *, method: str = "GET", cookies: str = "", body: bytes = b"") -> tuple:
    """(status, headers, body) of one request through the handler, as uvicorn would call it."""
    path, _, query = path.partition("?")
    headers = [(b"host", b"localhost"), (b"accept-language", b"en")]
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    if body:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    sent: list[dict] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        if pending:
            return pending.pop()
        import asyncio

        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    async_to_sync(OneHopASGIHandler())(scope, receive, send)
    start = sent[0]
    response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    content = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], response_headers, content


def test_an_anonymous_request_gets_the_answer_and_every_security_header():
    status, headers, body = call("/healthz")

    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_a_signed_in_agent_gets_the_inbox_and_a_stranger_the_sign_in_page():
    agent = UserFactory(role="agent", name="Aiko Tanaka")
    browser = Client()
    browser.force_login(agent)
    session = browser.cookies["sessionid"].value

    status, _, body = call("/agent/", cookies=f"sessionid={session}")
    assert status == 200
    assert b"Aiko Tanaka" in body and b'id="ticket-list"' in body

    status, headers, _ = call("/agent/")
    assert status == 302 and headers["location"].startswith("/accounts/login/")


def test_a_post_without_its_csrf_token_is_refused():
    agent = UserFactory(role="agent")
    browser = Client()
    browser.force_login(agent)
    session = browser.cookies["sessionid"].value

    status, _, _ = call(
        "/agent/bulk/", method="POST", cookies=f"sessionid={session}", body=b"tickets=1"
    )
    assert status == 403


def test_an_unknown_address_is_a_404_page():
    status, headers, body = call("/no/such/page/")

    assert status == 404
    assert "content-security-policy" in headers
    assert b"<html" in body
