"""A real SMTP peer on 127.0.0.1 for tests: it keeps every mail it accepts as raw bytes.

Importable without pytest (the browser tests run it next to a live server and worker):

    server = LocalSMTPServer()
    server.start()            # picks a free port: server.host, server.port
    server.refuse("nobody@example.com", "550 5.1.1 No such user")
    ...                       # point EMAIL_HOST/EMAIL_PORT at it and send
    server.wait_for(1)[0].content
    server.stop()
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes  # exactly the DATA the client sent

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)  # type: ignore[return-value]


@dataclass
class _Handler:
    server: LocalSMTPServer
    refusals: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content
        self.server._received(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=bytes(content),
            )
        )
        return "250 Message accepted for delivery"


class LocalSMTPServer:
    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.messages: list[ReceivedMail] = []
        self._handler = _Handler(self)
        self._controller: Controller | None = None
        self._arrived = threading.Condition()

    def start(self) -> LocalSMTPServer:
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> LocalSMTPServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def refuse(self, address: str, reply: str = "550 5.1.1 Recipient address rejected") -> None:
        """Answer RCPT TO for this address with `reply` (a 4xx or 5xx line)."""
        self._handler.refusals[address.lower()] = reply

    def clear(self) -> None:
        with self._arrived:
            self.messages.clear()
            self._handler.refusals.clear()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMail]:
        """Block until at least `count` mails arrived; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self.messages)} of {count} mails arrived")
                self._arrived.wait(remaining)
            return list(self.messages)

    def _received(self, mail: ReceivedMail) -> None:
        with self._arrived:
            self.messages.append(mail)
            self._arrived.notify_all()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
