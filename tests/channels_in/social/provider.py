"""A local HTTP server standing in for a social platform's API.

Each test installs the provider's documented behaviour as routes (method + path pattern →
handler); the server records every request so tests can check exactly what was sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded, re.Match], Reply]


class FakeProvider:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.requests: list[Recorded] = []
        self._server: ThreadingHTTPServer | None = None

    # --- routes --------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler | Reply) -> None:
        """Newest first: a test can override a default route by adding its own."""
        fn = handler if callable(handler) else (lambda _req, _m, reply=handler: reply)
        self.routes.insert(0, (method, re.compile(f"^{pattern}$"), fn))

    def sent(self, method: str, path_pattern: str) -> list[Recorded]:
        rx = re.compile(f"^{path_pattern}$")
        return [r for r in self.requests if r.method == method and rx.match(r.path)]

    # --- server --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeProvider:
        provider = self

        class _Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    self.command, parts.path, parse_qs(parts.query), dict(self.headers), body
                )
                provider.requests.append(recorded)
                reply = Reply(404, {"error": "no such route in the fake provider"})
                for method, rx, fn in provider.routes:
                    match = rx.match(parts.path)
                    if method == self.command and match:
                        reply = fn(recorded, match)
                        break
                payload = reply.body
                content_type = "application/octet-stream"
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode("utf-8")
                    content_type = "application/json"
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# A tiny valid JPEG header + filler: enough to be stored and served back as an image.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
