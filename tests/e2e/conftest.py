"""Browser tests: real Chromium against a real ASGI server, Celery worker and SMTP peer.

The server and worker run as subprocesses on the test database of this xdist worker, so the
tests use committed data (`transactional_db`).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import STAFF_PASSWORD
from tests.live_processes import ROOT, app_env, worker_command
from tests.smtp_server import LocalSMTPServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary blocking calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@dataclass
class LiveStack:
    url: str
    env: dict[str, str]
    smtp: LocalSMTPServer

    def sign_in(self, page, email: str, password: str = STAFF_PASSWORD) -> None:
        """Through the real allauth login form, as an agent would."""
        page.goto(f"{self.url}/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url(re.compile(r".*/agent/$"))

    def manage(self, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            capture_output=True,
            timeout=120,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, processes: list[subprocess.Popen], logs: list[Path]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    output = "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in logs)
    raise RuntimeError(f"the live server did not come up:\n{output}")


@pytest.fixture(scope="module")
def live_stack(django_db_setup, tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    smtp = LocalSMTPServer()
    smtp.start()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = app_env(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        MEDIA_ROOT=str(folder / "media"),
        MADOGUCHI_VAR_DIR=str(folder),
        SITE_URL=url,
    )
    commands = {
        "web": [
            sys.executable,
            "-m",
            "uvicorn",
            "helpdesk.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "websockets",
            "--lifespan",
            "off",
        ],
        "worker": worker_command(),
    }
    processes, logs = [], []
    for name, command in commands.items():
        log = folder / f"{name}.log"
        logs.append(log)
        processes.append(
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
            )
        )
    try:
        _wait_until_up(url, processes, logs)
        yield LiveStack(url=url, env=env, smtp=smtp)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        smtp.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
