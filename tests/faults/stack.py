"""A private app stack for the fault tests: a PostgreSQL and a Redis of the test's own, which
the test may kill without touching anything another test (or person) uses, and the app's real
processes (uvicorn, a Celery worker) started against them.

The private database is a copy of this test process's database (schema, migrations and the
rows the test wrote before `clone_database`), so no migration has to run for each test.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from django.conf import settings

from helpdesk.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.live_processes import ROOT, app_env, worker_command

DATABASE = "madoguchi"


def _pg_bin(name: str) -> str:
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


@dataclass
class PrivatePostgres:
    """An EmbeddedPostgres in a short temp folder (unix socket paths are limited to 107
    bytes), which the test can crash and start again on the same socket."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pg-")))
    server: EmbeddedPostgres | None = None

    def start(self) -> None:
        self.server = EmbeddedPostgres(self.folder / "data")
        self.server.start()
        self.server.ensure_database(DATABASE)

    @property
    def socket_dir(self) -> str:
        assert self.server is not None
        return str(self.server._socket_dir)

    def url(self) -> str:
        assert self.server is not None
        return self.server.url(DATABASE)

    def clone_database(self) -> None:
        """Copy this test process's database (as it is now) into the private one."""
        db = settings.DATABASES["default"]
        dump = subprocess.run(
            [_pg_bin("pg_dump"), "--no-owner", "--no-privileges",
             "-h", db.get("HOST") or "localhost", "-U", db["USER"], "-d", db["NAME"],
             *(["-p", str(db["PORT"])] if db.get("PORT") else [])],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            [_pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", self.socket_dir,
             "-U", "postgres", "-d", DATABASE],
            input=dump.stdout, capture_output=True, check=True, timeout=120,
        )  # fmt: skip

    def crash(self) -> None:
        """What a power cut looks like to the clients: every connection dropped at once."""
        from pgserver._commands import pg_ctl

        assert self.server is not None
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.server.pgdata,
               user=self.server.system_user)  # fmt: skip

    def restart(self) -> None:
        """Start again on the same socket (crash recovery replays the WAL)."""
        from pgserver._commands import pg_ctl

        assert self.server is not None
        pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}",
             "-l", str(self.server.pgdata / "restart.log"), "start"],
            pgdata=self.server.pgdata, user=self.server.system_user, timeout=30,
        )  # fmt: skip

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(host=self.socket_dir, user="postgres", dbname=DATABASE) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple = ()) -> None:
        with psycopg.connect(host=self.socket_dir, user="postgres", dbname=DATABASE) as conn:
            conn.execute(sql, params)

    def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):  # a crashed server may already be down
                self.server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def private_redis() -> EmbeddedRedis:
    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="redis-")))
    redis.start()
    return redis


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self) -> str:
        return f"--- {self.name}\n" + self.log.read_text(errors="replace")[-4000:]


@dataclass
class Stack:
    """The app's processes on one environment; stopped (or killed) by the test."""

    env: dict[str, str]
    folder: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, command: list[str]) -> Process:
        log = self.folder / f"{name}.log"
        popen = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def start_web(self, name: str = "web") -> tuple[Process, str]:
        port = free_port()
        process = self.start(name, [
            sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--ws", "websockets", "--lifespan", "off",
        ])  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        self.wait_for(lambda: _answers(f"{url}/healthz"), f"{name} to come up", timeout=60)
        return process, url

    def start_worker(self, name: str = "worker") -> Process:
        return self.start(name, worker_command())

    def logs(self) -> str:
        return "\n".join(process.tail() for process in self.processes)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")

    def stop_all(self) -> None:
        for process in self.processes:
            if process.alive():
                process.popen.terminate()
        for process in self.processes:
            try:
                process.popen.wait(10)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(10)


def stack_env(folder: Path, **overrides: str) -> dict[str, str]:
    return app_env(MADOGUCHI_VAR_DIR=str(folder), MEDIA_ROOT=str(folder / "media"), **overrides)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
