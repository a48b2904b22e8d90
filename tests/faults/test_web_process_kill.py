"""A web process is SIGKILLed with a visitor's chat socket and an agent's inbox socket open.

Two uvicorn processes share the database and Redis, as behind a load balancer. Process A dies
mid-conversation, with the visitor's last messages sent but not acknowledged; the agent
answers meanwhile through process B. Both clients reconnect to B: the visitor says `hello`
with its token and `since`, gets what it missed in `welcome` and resends its unacknowledged
messages with the same ids (livechat/PROTOCOL.md) — nothing lost, nothing doubled; the agent's
inbox socket on B hears of what the visitor writes next.
"""

from __future__ import annotations

import json
import os
import signal
import time
from contextlib import ExitStack

import pytest
import requests
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from livechat.models import ChatChannel
from tests.factories import UserFactory
from tests.faults.stack import Stack, stack_env
from tickets.models import AuthorKind, Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "https://shop.example"
CSRF = "x" * 32


def frames_until(ws, wanted: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        try:
            frame = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        except TimeoutError:
            raise AssertionError(f"no {wanted!r} frame in time; got {seen}") from None
        seen.append(frame.get("code") or frame.get("type"))
        if frame.get("type") == wanted:
            return frame


def say(ws, client_id: str, text: str) -> None:
    ws.send(json.dumps({"v": 1, "type": "message", "id": client_id, "text": text}))


def test_clients_of_a_killed_web_process_resume_on_the_other_and_miss_nothing(tmp_path):
    channel = ChatChannel(name="Shop", allowed_origins=ORIGIN, ask_name="off", ask_email="off")
    channel.set_secret("shop-secret")
    channel.save()
    agent = UserFactory(role="admin", name="佐藤")
    browser = Client()
    browser.force_login(agent)
    session = browser.cookies["sessionid"].value

    # Tasks run inline in the process that queued them: no worker to keep alive here.
    stack = Stack(env=stack_env(tmp_path, CELERY_TASK_ALWAYS_EAGER="1"), folder=tmp_path)
    sockets = ExitStack()
    try:
        web_a, url_a = stack.start_web("web-a")
        _web_b, url_b = stack.start_web("web-b")
        host_a, host_b = url_a.removeprefix("http://"), url_b.removeprefix("http://")

        def agent_socket(host: str):
            headers = {"Cookie": f"sessionid={session}", "Origin": f"http://{host}"}
            return sockets.enter_context(
                connect(f"ws://{host}/ws/agent/", additional_headers=headers)
            )

        inbox = agent_socket(host_a)
        frames_until(inbox, "hello")
        visitor = sockets.enter_context(connect(f"ws://{host_a}/ws/chat/", origin=ORIGIN))
        visitor.send(json.dumps({"v": 1, "type": "hello", "channel": channel.public_key}))
        welcome = frames_until(visitor, "welcome")
        token = welcome["token"]
        if welcome["needs_profile"]:  # nobody counted online yet: the widget asks for an email
            visitor.send(json.dumps({"v": 1, "type": "profile", "email": "kana@example.com"}))
            frames_until(visitor, "profile_ok")
        say(visitor, "m-1", "注文した靴のサイズを変えたい")
        first = frames_until(visitor, "ack")["message"]
        ticket_id = frames_until(inbox, "ticket.created")["ticket"]

        # Two more messages leave the visitor; process A dies before any answer comes back.
        say(visitor, "m-2", "27cm に")
        say(visitor, "m-3", "色は黒のままで")
        os.kill(web_a.popen.pid, signal.SIGKILL)
        web_a.popen.wait(10)
        for ws in (visitor, inbox):
            with pytest.raises(ConnectionClosed):
                while True:
                    ws.recv(timeout=10)

        # The agent answers through process B while the visitor is away.
        answer = requests.post(
            f"{url_b}/agent/tickets/{ticket_id}/reply/",
            data={"body": "承知しました。交換品をお送りします。", "csrfmiddlewaretoken": CSRF},
            cookies={"sessionid": session, "csrftoken": CSRF},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 302, answer.text[:500]

        # Both reconnect to the surviving process.
        inbox = agent_socket(host_b)
        frames_until(inbox, "hello")
        visitor = sockets.enter_context(connect(f"ws://{host_b}/ws/chat/", origin=ORIGIN))
        visitor.send(json.dumps({"v": 1, "type": "hello", "channel": channel.public_key,
                                 "token": token, "since": first["id"]}))  # fmt: skip
        missed = frames_until(visitor, "welcome")["messages"]
        for client_id, text in (("m-2", "27cm に"), ("m-3", "色は黒のままで")):
            say(visitor, client_id, text)  # the unacknowledged queue, same ids
            assert frames_until(visitor, "ack")["id"] == client_id
        say(visitor, "m-4", "よろしくお願いします")
        assert frames_until(visitor, "ack")["id"] == "m-4"
        heard = frames_until(inbox, "message.created")
    finally:
        sockets.close()
        stack.stop_all()

    agent_texts = [m["text"] for m in missed if m["from"] == "agent"]
    assert agent_texts == ["承知しました。交換品をお送りします。"]
    assert heard["ticket"] == ticket_id
    ticket = Ticket.objects.get()
    from_visitor = ticket.messages.filter(author_kind=AuthorKind.CUSTOMER).order_by("id")
    assert [m.body_text for m in from_visitor] == [
        "注文した靴のサイズを変えたい", "27cm に", "色は黒のままで", "よろしくお願いします",
    ]  # fmt: skip
    assert Message.objects.filter(author_kind=AuthorKind.AGENT).count() == 1
