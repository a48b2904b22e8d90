"""What a long-lived web process does once it has loaded the app."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path


def freeze_startup_objects() -> None:
    """Import every view now and move everything loaded so far out of the garbage collector's
    reach. A web process holds hundreds of thousands of objects from start to exit (modules,
    classes, URL patterns, compiled templates); each full collection walked them all again,
    ~10 ms that fell on one request in a dozen: the p95 of the fast pages."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the views, not on the first request
    gc.collect()
    gc.freeze()


def shorten_gil_turns() -> None:
    """Let a request that waits on PostgreSQL or Redis get back to work sooner while another
    request of the same process is rendering. All the threads of a process share one GIL; a
    thread coming back from a query waits until the thread holding it lets go, which a busy
    one does only every `sys.getswitchinterval()` (5 ms by default). A page making twenty
    round trips beside a dashboard render paid up to 100 ms that way (bench/LOAD_NOTES.md:
    20 Redis round trips took 9 ms alone, 140 ms beside a CPU-bound thread of the same
    process, 40 ms beside one in another process, 73 ms with a 1 ms interval).
    WEB_SWITCH_INTERVAL_MS (default 1) sets it; the cost is more frequent hand-overs between
    threads that both want the CPU."""
    milliseconds = float(os.environ.get("WEB_SWITCH_INTERVAL_MS", "1"))
    if milliseconds > 0:
        sys.setswitchinterval(milliseconds / 1000)


def yield_cpu_to_pages() -> None:
    """Run background work (the Celery worker and beat) behind the pages when both want a core.
    Follow-ups, indexing and polling can wait a few milliseconds; an agent's page should not
    wait for them. WORKER_NICE (default 10; 0 leaves the priority alone) is added to the
    process's niceness, which its pool processes inherit.

    Linux with autogroup (Debian's default) first shares the CPU between sessions and only
    then between the processes of one session, so a process's own niceness does not rank it
    against the web processes of another session. The launcher starts the worker as a session
    of its own; its leader lowers the whole session's group too. In containers the runtime's
    CPU weights do this job (docker-compose.yml: `cpu_shares`)."""
    niceness = int(os.environ.get("WORKER_NICE", "10"))
    if niceness <= 0:
        return
    os.nice(niceness)
    if os.getsid(0) == os.getpid():
        # No autogroup in this kernel or container: the niceness suffices.
        with contextlib.suppress(OSError):
            Path("/proc/self/autogroup").write_text(str(niceness))
