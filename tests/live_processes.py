"""The app's own processes (a Celery worker, …) started as subprocesses against this test
process's database and Redis, for tests that need committed data and real queues.

Shared by the browser tests (`tests/e2e/conftest.py`) and the mailbox crash test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[1]
CELERY = [sys.executable, "-m", "celery"]
# Solo pool: one task at a time in the worker's own process, so a SIGKILL hits that task.
WORKER_ARGS = [
    "-A", "helpdesk", "worker", "--pool", "solo", "-Q", "ingest,deliver,default,reports",
    "--without-gossip", "--without-mingle", "--loglevel", "INFO",
]  # fmt: skip


def database_url() -> str:
    """This test process's database (pytest-django's test database, per xdist worker)."""
    db = settings.DATABASES["default"]
    host = quote(db.get("HOST") or "localhost", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def app_env(**overrides: str) -> dict[str, str]:
    """Environment for a subprocess: our database and Redis, tasks really queued."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


def worker_command(launcher: list[str] | None = None) -> list[str]:
    """`celery worker` on every queue; `launcher` replaces `python -m celery`."""
    return [*(launcher or CELERY), *WORKER_ARGS]
