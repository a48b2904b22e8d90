"""`make run` and `make test`: provision PostgreSQL/Redis if needed, then run or test.

    python -m helpdesk.launcher run     web (ASGI) + Celery worker + beat, logs interleaved
    python -m helpdesk.launcher test    ruff, then the whole pytest suite (extra args → pytest)
    python -m helpdesk.launcher bench [SCRIPT|MODULE ARGS…]   bench/run.py (or another
                                        bench script) on var/bench → bench/RESULTS.md
    python -m helpdesk.launcher shell   the embedded services up, then a shell with their URLs

Ctrl-C stops the app processes first, then the embedded servers.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from .embedded import EmbeddedServices

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
COLOURS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m"]
RESET = "\033[0m"

log = logging.getLogger("madoguchi")


def manage(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, check=check)


def app_processes(port: str) -> dict[str, list[str]]:
    celery = [PYTHON, "-m", "celery", "-A", "helpdesk"]
    return {
        "web": [
            PYTHON,
            "-m",
            "uvicorn",
            "helpdesk.asgi:application",
            "--host",
            os.environ.get("HOST", "127.0.0.1"),
            "--port",
            port,
            "--ws",
            "websockets",
            "--lifespan",
            "off",
            "--no-server-header",
        ],
        "worker": [
            *celery,
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "-Q",
            "ingest,deliver,default,reports",
            "--hostname",
            "worker@%h",
        ],
        "beat": [
            *celery,
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(VAR / "celerybeat-schedule"),
        ],
        # IMAP IDLE: a mailbox that supports it is polled the moment mail arrives.
        "idle": [PYTHON, "manage.py", "idle_mailboxes"],
    }


class ProcessGroup:
    """Children whose output is interleaved line by line, each prefixed with its name."""

    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.commands = commands
        self.children: dict[str, subprocess.Popen] = {}

    def run(self) -> int:
        width = max(len(name) for name in self.commands)
        chooser = selectors.DefaultSelector()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for index, (name, command) in enumerate(self.commands.items()):
            child = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # we deliver Ctrl-C ourselves, in order
            )
            self.children[name] = child
            prefix = f"{COLOURS[index % len(COLOURS)]}{name:<{width}} |{RESET} "
            chooser.register(child.stdout, selectors.EVENT_READ, prefix)
        try:
            while chooser.get_map():
                for key, _mask in chooser.select(timeout=1):
                    line = key.fileobj.readline()
                    if not line:
                        chooser.unregister(key.fileobj)
                        continue
                    sys.stdout.write(key.data + line.decode("utf-8", "replace"))
                    sys.stdout.flush()
                if any(child.poll() is not None for child in self.children.values()):
                    died = [n for n, c in self.children.items() if c.poll() is not None]
                    print(f"process {', '.join(died)} exited; stopping the others", flush=True)
                    return 1
        except KeyboardInterrupt:
            print("\nstopping…", flush=True)
            return 0
        finally:
            self.stop()
        return 0

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run() -> int:
    VAR.mkdir(exist_ok=True)
    # Explicit, because a shell that starts us in the background sets SIGINT to "ignore".
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    with EmbeddedServices(VAR, database="madoguchi"):
        manage("migrate", "--no-input", "-v", "0")
        manage("seed_demo")
        port = os.environ.get("PORT", "8000")
        print(f"\nMadoguchi is starting on http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n")
        return ProcessGroup(app_processes(port)).run()


def test(pytest_args: list[str]) -> int:
    # Its own throwaway servers: a `make run` beside it keeps its data and its queues.
    with EmbeddedServices(VAR / "test", database="madoguchi", throwaway=True):
        os.environ.setdefault("MADOGUCHI_VAR_DIR", str(VAR / "test"))
        lint = subprocess.run([PYTHON, "-m", "ruff", "check", "."], cwd=ROOT)
        if lint.returncode:
            return lint.returncode
        args = pytest_args or ["-n", os.environ.get("PYTEST_WORKERS", "2"), "--dist", "loadfile"]
        return subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT).returncode


# The bench server is sized like a small production one, not like the tests' throwaway ones.
BENCH_POSTGRES = {
    "shared_buffers": "2GB",
    "effective_cache_size": "8GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "random_page_cost": "1.1",
    "max_wal_size": "4GB",
    "jit": "off",  # compiling short OLTP queries costs more than it saves
}


def bench(args: list[str] | None = None) -> int:
    """bench/run.py on var/bench, whose generated data set is kept between runs."""
    with EmbeddedServices(VAR / "bench", database="madoguchi_bench") as services:
        if services.postgres:
            services.postgres.configure(BENCH_POSTGRES)
        script = (args or ["bench/run.py"])[0]
        return subprocess.run(
            [PYTHON, *([script] if script.endswith(".py") else ["-m", script]), *(args or [])[1:]],
            cwd=ROOT,
        ).returncode


def shell() -> int:
    with EmbeddedServices(VAR, database="madoguchi"):
        print(f"DATABASE_URL={os.environ['DATABASE_URL']}\nREDIS_URL={os.environ['REDIS_URL']}")
        return subprocess.run([os.environ.get("SHELL", "/bin/bash")], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    command, rest = (argv[0], argv[1:]) if argv else ("run", [])
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    if command == "bench":
        return bench(rest)
    if command == "shell":
        return shell()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
