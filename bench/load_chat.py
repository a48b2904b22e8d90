"""The load scenario's WebSocket clients: widget-chat customers on /ws/chat/, and the live
inbox socket (/ws/agent/) every agent's open page keeps.

Each user is one visitor with a widget open on a shop's page (the Origin the chat channel
allows, a signed visitor token made by bench.chat_support.prepare): it connects and says
`hello`; when nobody is online (outside business hours, no agent socket) the widget asks for
an email first, so it sends its `profile` as the pre-chat form would. Then, every LOAD_PACING
seconds on average, it sends a `message` and waits for the server's `ack` (stored raw, filed into the
ticket, committed): that wait is "chat message", the number issue #7's target is about.
websockets' synchronous client runs on locust's gevent (its sockets and its reader thread are
patched into greenlets).
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

import gevent
from locust import User, task
from websockets.sync.client import connect

from bench.chat_support import ORIGIN
from bench.load_mix import WEIGHTS, pacing

_visitor_numbers = itertools.count()
ACK_TIMEOUT = 30.0


class ChatFailure(Exception):
    """An error frame, a closed socket or no answer in time."""


class ChatCustomer(User):
    weight = WEIGHTS["ChatCustomer"]
    wait_time = pacing()
    fixtures: dict = {}  # set by the locustfile

    def on_start(self) -> None:
        self.ws = None
        self.number = next(_visitor_numbers)
        self._connect()

    def on_stop(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def _fire(self, name: str, started: float, exception: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=exception,
            context={},
        )

    def _until(self, wanted: str, client_id: str | None = None) -> dict:
        deadline = time.monotonic() + ACK_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChatFailure(f"no {wanted} within {ACK_TIMEOUT:.0f} s")
            try:
                frame = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                continue
            kind = frame.get("type")
            if kind == "error" and (client_id is None or frame.get("id") in (None, client_id)):
                raise ChatFailure(f"error frame {frame.get('code')}")
            if kind == wanted and (client_id is None or frame.get("id") == client_id):
                return frame

    def _connect(self) -> None:
        chat = self.fixtures["chat"]
        started = time.perf_counter()
        try:
            # Entered as a context manager so no version of websockets calls it "legacy".
            self.ws = connect(
                f"ws{self.host.removeprefix('http')}/ws/chat/",
                origin=ORIGIN,
                open_timeout=30,
                ping_interval=None,  # a loaded machine must not close a quiet socket
            ).__enter__()
            token = chat["tokens"][self.number % len(chat["tokens"])]
            hello = {"v": 1, "type": "hello", "channel": chat["channel"], "token": token}
            self.ws.send(json.dumps({**hello, "lang": "ja"}))
            welcome = self._until("welcome")
            if welcome.get("needs_profile"):
                email = f"chat{self.number}@customers.example"
                profile = {"v": 1, "type": "profile", "name": "Load visitor", "email": email}
                self.ws.send(json.dumps(profile))
                self._until("profile_ok")
        except Exception as exc:  # noqa: BLE001 - reported as the request's failure
            self._fire("chat connect", started, exc)
            if self.ws is not None:
                self.ws.close()
            self.ws = None
            return
        self._fire("chat connect", started, None)

    @task
    def message(self) -> None:
        if self.ws is None:
            self._connect()
            return
        client_id = uuid.uuid4().hex[:20]
        text = f"注文の件で質問があります ({client_id[:6]})"
        started = time.perf_counter()
        try:
            self.ws.send(json.dumps({"v": 1, "type": "message", "id": client_id, "text": text}))
            self._until("ack", client_id)
        except Exception as exc:  # noqa: BLE001 - reported; the next action reconnects
            self._fire("chat message", started, exc)
            self.ws.close()
            self.ws = None
            return
        self._fire("chat message", started, None)


class AgentSocket:
    """/ws/agent/ with the agent's session cookie, as the inbox and ticket pages hold it: a
    greenlet reads every live event (new messages, ticket changes, presence) as the page
    would, and pings every 20 s as the page does (which also keeps the agent online);
    `viewing(ticket)` is the presence frame a ticket page sends when it opens."""

    def __init__(self, environment, host: str, session: str) -> None:
        self.environment, self.host, self.session = environment, host, session
        self.ws = None
        self.events = 0

    def open(self) -> None:
        started = time.perf_counter()
        error = None
        try:
            self.ws = connect(
                f"ws{self.host.removeprefix('http')}/ws/agent/",
                origin=self.host,
                additional_headers={"Cookie": f"sessionid={self.session}"},
                open_timeout=30,
                ping_interval=None,
            ).__enter__()
        except Exception as exc:  # noqa: BLE001 - reported as the request's failure
            error = exc
        self.environment.events.request.fire(
            request_type="WS",
            name="agent socket connect",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
        if self.ws is not None:
            gevent.spawn(self._read)

    def _read(self) -> None:
        while self.ws is not None:
            try:
                self.ws.recv(timeout=20)
                self.events += 1
            except TimeoutError:
                self.send({"type": "ping"})
            except Exception:  # noqa: BLE001 - closed: the user stops or reopens it
                return

    def send(self, frame: dict) -> None:
        if self.ws is not None:
            try:
                self.ws.send(json.dumps(frame))
            except Exception:  # noqa: BLE001 - a closed socket: the reader has ended too
                self.ws = None

    def viewing(self, ticket: int) -> None:
        self.send({"type": "presence", "ticket": ticket, "state": "viewing"})

    def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.close()
