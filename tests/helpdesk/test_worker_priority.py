"""The Celery worker and beat run behind the pages when both want a core."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORT = (
    "import os; from pathlib import Path; from helpdesk.startup import yield_cpu_to_pages; "
    "yield_cpu_to_pages(); group = Path('/proc/self/autogroup'); "
    "print(os.getpriority(os.PRIO_PROCESS, 0), "
    "group.read_text().split()[-1] if group.exists() else 'none')"
)


def _started_like_the_launcher(niceness: str) -> tuple[int, str]:
    """A process in a session of its own, as helpdesk.launcher starts the worker."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=ROOT,
        env={**os.environ, "WORKER_NICE": niceness},
        start_new_session=True,
        capture_output=True,
        text=True,
        check=True,
    )
    priority, group = done.stdout.split()
    return int(priority), group


def test_the_worker_lowers_its_priority_and_its_sessions():
    before = os.getpriority(os.PRIO_PROCESS, 0)
    priority, group = _started_like_the_launcher("10")
    assert priority == min(before + 10, 19)
    if group != "none":  # kernels with autogroup rank sessions before processes
        assert group == "10"


def test_zero_leaves_the_priority_alone():
    before = os.getpriority(os.PRIO_PROCESS, 0)
    priority, group = _started_like_the_launcher("0")
    assert priority == before
    if group != "none":
        assert group == "0"


def test_the_worker_and_beat_ask_for_it_when_they_start():
    from celery import signals

    from helpdesk import celery

    for signal in (signals.worker_init, signals.beat_init):
        receivers = [ref() for _key, ref in signal.receivers]
        assert celery._run_behind_the_pages in receivers
