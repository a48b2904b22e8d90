"""Test wiring: real PostgreSQL and Redis (from `make test`), isolated per xdist worker."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from helpdesk.celery import app as celery_app
from helpdesk.settings import celery_broker_url

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
# Tests wait for the workers they start while the suite keeps every core busy: those workers
# get no lower priority than the processes they serve (helpdesk.startup.yield_cpu_to_pages).
os.environ["WORKER_NICE"] = "0"


def _worker_redis_url() -> str:
    """Each xdist worker gets its own Redis database, so queues and groups never mix."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    # Runs given different base databases (db=N) on one Redis stay apart too: N*2+1, N*2+2, …
    given = re.search(r"(?:[?&]db=|/)(\d+)$", settings.REDIS_URL)
    base_db = int(given.group(1)) if given else 0
    index = base_db * 2 + 1 + int(worker.removeprefix("gw") or 0)
    base = settings.REDIS_URL.split("?")[0]
    if base.startswith("unix://"):
        return f"{base}?db={index}"
    return f"{base.rsplit('/', 1)[0]}/{index}"


REDIS_URL = _worker_redis_url()
settings.REDIS_URL = REDIS_URL
settings.CACHES["default"]["LOCATION"] = REDIS_URL
settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [REDIS_URL]
settings.CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
celery_app.conf.broker_url = settings.CELERY_BROKER_URL
# In-process tests run tasks inline; the browser tests start a real worker instead.
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True


def _flush_despite_live_servers() -> None:
    """Browser and fault tests keep a real server and worker running on the test database
    between tests; one of them can still be inside a transaction when the test's teardown
    truncates every table. PostgreSQL then breaks the lock cycle by failing the TRUNCATE,
    and the rows left behind break whichever tests this worker runs next. Retry it."""
    import time

    from django.db import OperationalError
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        for attempt in range(8):
            try:
                return flush(self, sql_list)
            except OperationalError as error:
                if "deadlock" not in str(error) or attempt == 7:
                    raise
                time.sleep(0.25 * (attempt + 1))

    DatabaseOperations.execute_sql_flush = execute_sql_flush


_flush_despite_live_servers()


def _patient_socket_connect() -> None:
    """`WebsocketCommunicator.connect` gives the app one second to accept; on a loaded CI
    machine the first accept of a test (imports, a database connection) can take longer, and
    the test then fails on the clock instead of on behaviour."""
    from channels.testing import WebsocketCommunicator

    connect = WebsocketCommunicator.connect

    async def patient_connect(self, timeout=10):
        return await connect(self, timeout=timeout)

    WebsocketCommunicator.connect = patient_connect


_patient_socket_connect()


@pytest.fixture(autouse=True)
def _close_chat_connections():
    """The chat fast paths' async connections (livechat.aiodb) belong to each test's event
    loop (chat, fuzz and security tests open them): closed after the test, so none is left
    open when the test database is dropped."""
    from livechat import aiodb

    yield
    aiodb.close_all()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def corpus() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is expected beside the checkout at {CORPUS}"
    return CORPUS


@pytest.fixture
def agent(db):
    from tests.factories import UserFactory

    return UserFactory(role="agent", name="Aiko Agent")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel layer: channels-redis keeps asyncio locks bound to the
    event loop that first used them, and async tests each run in a new loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language. LocaleMiddleware leaves the language
    of the last request active in the thread, which made a test's English depend on the test
    that ran before it in the same worker."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _exact_inbox_counts(settings):
    """The "All" count is remembered for a minute in production; tests count it every time
    (the cache outlives a test), except the test of that memory itself."""
    settings.INBOX_ALL_COUNT_SECONDS = 0
