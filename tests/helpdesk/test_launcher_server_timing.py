"""The web process's Server-Timing header (helpdesk/asgi.py, SERVER_TIMING=1 in `make load`):
what the load report puts beside the client's times, so it has to be right and off by default."""

from __future__ import annotations

import asyncio
import sys

import pytest
from channels.routing import ProtocolTypeRouter

from bench.load_mix import parse_server_timing, summarize
from helpdesk import asgi
from helpdesk.startup import shorten_gil_turns


def _call(app, scope_type: str = "http") -> list[dict]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": scope_type, "path": "/"}, receive, send))
    return sent


async def _page(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_a_lone_request_gets_its_time_cpu_and_run_queue_wait():
    start, _body = _call(asgi._server_timing(_page))
    headers = dict(start["headers"])
    assert headers[b"x-a"] == b"1"  # the app's own headers are kept
    app_ms, busy, cpu_ms, runq_ms = parse_server_timing(headers[b"server-timing"].decode())
    assert app_ms >= 0 and busy == 0
    assert cpu_ms is not None and runq_ms is not None


def test_requests_that_overlap_are_marked_crowded_and_get_no_cpu_figure():
    timed = None
    release = asyncio.Event()

    async def slow(scope, receive, send):
        if scope["path"] == "/slow":
            await release.wait()
        await _page(scope, receive, send)

    async def both():
        nonlocal timed
        timed = asgi._server_timing(slow)
        sent: dict[str, list] = {"/slow": [], "/fast": []}

        async def receive():
            return {"type": "http.request"}

        def sender(path):
            async def send(message):
                sent[path].append(message)

            return send

        first = asyncio.create_task(
            timed({"type": "http", "path": "/slow"}, receive, sender("/slow"))
        )
        await asyncio.sleep(0)
        await timed({"type": "http", "path": "/fast"}, receive, sender("/fast"))
        release.set()
        await first
        return sent

    sent = asyncio.run(both())
    fast = parse_server_timing(dict(sent["/fast"][0]["headers"])[b"server-timing"].decode())
    slow_timing = dict(sent["/slow"][0]["headers"])[b"server-timing"].decode()
    assert fast[1] == 1 and fast[2] is None  # arrived while /slow was in flight
    assert parse_server_timing(slow_timing)[2] is None  # /fast arrived during it


def test_sockets_pass_through_untouched():
    async def socket(scope, receive, send):
        await send({"type": "websocket.accept"})

    assert _call(asgi._server_timing(socket), "websocket") == [{"type": "websocket.accept"}]


def test_the_header_is_off_unless_asked_for():
    assert isinstance(asgi.application, ProtocolTypeRouter)  # not wrapped: no timings leak


def test_the_report_puts_the_server_time_beside_the_client_time():
    samples = [
        [1.0, "help article", 30.0, True, 10.0, 0, 4.0, 1.0],
        [2.0, "help article", 50.0, True, 40.0, 1, None, None],
        [3.0, "chat message", 20.0, True],  # a socket frame: no server timing
    ]
    rows = summarize(samples, 0, 10)
    article = rows["help article"]
    assert article["server_p95_ms"] == 40.0
    assert article["arrived_while_busy"] == 0.5
    assert (article["alone"], article["alone_cpu_p50_ms"]) == (1, 4.0)
    assert "server_p95_ms" not in rows["chat message"]


def test_web_processes_take_shorter_gil_turns(monkeypatch):
    before = sys.getswitchinterval()
    try:
        monkeypatch.delenv("WEB_SWITCH_INTERVAL_MS", raising=False)
        shorten_gil_turns()
        assert sys.getswitchinterval() == pytest.approx(0.001)
        monkeypatch.setenv("WEB_SWITCH_INTERVAL_MS", "5")
        shorten_gil_turns()
        assert sys.getswitchinterval() == pytest.approx(0.005)
    finally:
        sys.setswitchinterval(before)
