"""Two real ASGI web processes (uvicorn) on one Redis: the visitor talks to process A, the
agent to process B, and everything crosses — nothing of a chat is kept in one process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

import pytest
import requests
from django.test import Client
from websockets.sync.client import connect

from tests.factories import UserFactory
from tests.live_processes import ROOT, app_env
from tickets.models import Message, Ticket

from .conftest import ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "x" * 32  # any well-formed secret: the cookie and the form field only have to match


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_processes(count: int, tmp_path):
    """`count` uvicorn processes of helpdesk.asgi on this test's database and Redis. Tasks
    run inline in the process that queued them (no worker), so an agent's reply is pushed
    from the agent's own process."""
    env = app_env(CELERY_TASK_ALWAYS_EAGER="1", MEDIA_ROOT=str(tmp_path / "media"))
    started = []
    try:
        for index in range(count):
            port = _free_port()
            log = (tmp_path / f"web{index}.log").open("wb")
            command = [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application",
                       "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets",
                       "--lifespan", "off"]  # fmt: skip
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)  # fmt: skip
            started.append((process, f"127.0.0.1:{port}", tmp_path / f"web{index}.log"))
        for process, host, log_path in started:
            _wait_up(process, host, log_path)
        yield [host for _, host, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_up(process, host: str, log_path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{host}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"web process {host} did not come up:\n{log_path.read_text()[-3000:]}")


def receive_until(ws, wanted: str, timeout: float = 15) -> dict:
    """The next frame of type `wanted`, skipping others (presence, pongs, echoes)."""
    deadline = time.monotonic() + timeout
    skipped = []
    while True:
        left = deadline - time.monotonic()
        try:
            frame = json.loads(ws.recv(timeout=max(left, 0.01)))
        except TimeoutError:
            raise AssertionError(f"no {wanted!r} frame in time; got {skipped}") from None
        skipped.append(frame.get("type"))
        if frame.get("type") == wanted:
            return frame


def test_a_visitor_on_one_process_and_an_agent_on_another_talk_live(chat_channel, tmp_path):
    agent = UserFactory(role="admin", name="佐藤")
    browser = Client()
    browser.force_login(agent)
    session = browser.cookies["sessionid"].value

    with web_processes(2, tmp_path) as (host_a, host_b):
        agent_headers = {"Cookie": f"sessionid={session}", "Origin": f"http://{host_b}"}
        with (
            connect(f"ws://{host_a}/ws/chat/", origin=ORIGIN) as visitor,
            connect(f"ws://{host_b}/ws/agent/", additional_headers=agent_headers) as inbox,
        ):
            assert receive_until(inbox, "hello")
            visitor.send(json.dumps({"v": 1, "type": "hello", "channel": chat_channel.public_key}))
            welcome = receive_until(visitor, "welcome")
            visitor.send(json.dumps({"v": 1, "type": "message", "id": "a-1", "text": "在庫は?"}))
            ack = receive_until(visitor, "ack")
            assert ack.get("message"), ack
            ticket = Ticket.objects.get()
            # Process A filed it; the agent's inbox socket on process B hears of it.
            created = receive_until(inbox, "ticket.created")
            assert created["ticket"] == ticket.pk

            with connect(
                f"ws://{host_b}/ws/chat/agent/{ticket.pk}/", additional_headers=agent_headers
            ) as agent_chat:
                assert receive_until(agent_chat, "hello")
                # Visitor (A) typing → agent (B), with the preview.
                visitor.send(json.dumps({"v": 1, "type": "typing", "typing": True,
                                         "preview": "もう一つ"}))  # fmt: skip
                typing = receive_until(agent_chat, "typing")
                assert typing["typing"] is True and typing["preview"] == "もう一つ"
                # Agent (B) typing → visitor (A), with the agent's name.
                agent_chat.send(json.dumps({"v": 1, "type": "typing", "typing": True}))
                assert receive_until(visitor, "typing")["agent"]["name"] == "佐藤"

                # The agent replies through process B's reply form; the visitor on A gets it.
                reply = requests.post(
                    f"http://{host_b}/agent/tickets/{ticket.pk}/reply/",
                    data={"body": "ございます。", "csrfmiddlewaretoken": CSRF},
                    cookies={"sessionid": session, "csrftoken": CSRF},
                    allow_redirects=False,
                    timeout=30,
                )
                assert reply.status_code == 302, reply.text[:500]
                joined = receive_until(visitor, "agent_joined")
                pushed = receive_until(visitor, "message")
                assert joined["agent"]["name"] == "佐藤"
                assert pushed["message"]["text"] == "ございます。"
                assert pushed["message"]["from"] == "agent"

                # The visitor reads it on A; the agent's page on B sees the receipt.
                visitor.send(json.dumps({"v": 1, "type": "read",
                                         "upto": pushed["message"]["id"]}))  # fmt: skip
                assert receive_until(agent_chat, "read")["upto"] == pushed["message"]["id"]

        # The same visitor comes back through process B: the whole conversation is there.
        with connect(f"ws://{host_b}/ws/chat/", origin=ORIGIN) as again:
            again.send(json.dumps({"v": 1, "type": "hello", "channel": chat_channel.public_key,
                                   "token": welcome["token"]}))  # fmt: skip
            back = receive_until(again, "welcome")
    assert [m["text"] for m in back["messages"]] == ["在庫は?", "ございます。"]
    assert back["messages"][0]["id"] == ack["message"]["id"]
    assert Message.objects.filter(ticket=ticket).count() == 2
