"""What bench/load.py measures around locust: memory and CPU of the app processes, what the
Celery worker spent its time on (beat's periodic tasks among it), and the Markdown section for
bench/RESULTS.md and the README (bench/LOAD.md)."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_DONE = re.compile(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([\d.]+)s")
_NOT_DONE = re.compile(r"Task ([\w.]+)\[[^\]]+\] (retry|raised)")
_SENT = re.compile(r"Sending due task ([\w.-]+) \(([\w.]+)\)")


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants (the Celery worker forks its pool)."""
    total = 0
    for current in _tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return round(total / 1024, 1)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its living descendants (and their waited-for
    children), in seconds."""
    total = 0
    for current in _tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return round(total / _TICKS, 1)


APP_NAME = "madoguchi-load"  # PGAPPNAME of the load's processes: their backends are found


def pg_backend_cpu(database_url: str, seen: dict[int, float]) -> None:
    """CPU seconds of the PostgreSQL backends serving the load's processes (their
    application_name), kept per backend pid in `seen` (the highest reading: a backend that
    ends before the next reading loses its last seconds). Same machine, so /proc tells."""
    import psycopg

    try:
        with psycopg.connect(database_url, connect_timeout=5) as connection:
            pids = [
                row[0]
                for row in connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
                )
            ]
    except psycopg.Error:
        return
    for pid in pids:
        seen[pid] = max(seen.get(pid, 0.0), tree_cpu_seconds(pid))


QUEUES = ("ingest", "deliver", "default", "reports")


def queue_backlog(redis_url: str) -> dict[str, int]:
    """Tasks waiting in each Celery queue (kombu's Redis lists, priority lists included): a
    backlog that is longer at the end than at the start is a worker that did not keep up."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url)
        backlog = {}
        for queue in QUEUES:
            names = [queue.encode(), *client.scan_iter(match=f"{queue}\x06\x16*", count=1000)]
            backlog[queue] = sum(client.llen(name) for name in names)
        return backlog
    except redis.RedisError:
        return {}


class Sampler(threading.Thread):
    """RSS of every app process every `every` seconds: a leak is a line that keeps rising
    in the second half; a warm-up is a step that then stays flat."""

    def __init__(self, pids: dict[str, int], every: float = 30, database_url: str = ""):
        super().__init__(daemon=True)
        self.pids, self.every, self.database_url = pids, every, database_url
        self.samples: list[dict] = []
        self.stopped = threading.Event()
        self.pg_cpu: dict[int, float] = {}
        self.pg_cpu_before: dict[int, float] = {}
        if database_url:
            pg_backend_cpu(database_url, self.pg_cpu_before)

    def run(self) -> None:
        started, next_rss = time.monotonic(), self.every
        while not self.stopped.wait(min(self.every, 10)):
            if self.database_url:
                pg_backend_cpu(self.database_url, self.pg_cpu)
            second = time.monotonic() - started
            if second >= next_rss - 0.5:
                next_rss += self.every
                sample = {n: tree_rss_mb(p) for n, p in self.pids.items()}
                self.samples.append({"second": round(second), **sample})

    def postgres_cpu_seconds(self) -> float:
        """CPU the load's PostgreSQL backends used during the run."""
        if self.database_url:
            pg_backend_cpu(self.database_url, self.pg_cpu)
        used = sum(cpu - self.pg_cpu_before.get(pid, 0.0) for pid, cpu in self.pg_cpu.items())
        return round(used, 1)

    def second_half_growth_mb(self) -> dict:
        """Per process: RSS at the end minus RSS at the middle of the run."""
        if len(self.samples) < 4:
            return {}
        middle, last = self.samples[len(self.samples) // 2], self.samples[-1]
        return {n: round(last[n] - middle[n], 1) for n in self.pids}


def worker_tasks(worker_log: Path, beat_log: Path, seconds: float) -> dict:
    """Per task: runs, seconds of a worker process it held (wall), mean and max; beat's
    periodic tasks are marked with their schedule name. Sorted by total time."""
    beat: dict[str, str] = {}
    sent: dict[str, int] = {}
    if beat_log.exists():
        for match in _SENT.finditer(beat_log.read_text(errors="replace")):
            beat[match.group(2)] = match.group(1)
            sent[match.group(2)] = sent.get(match.group(2), 0) + 1
    runs: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    if worker_log.exists():
        text = worker_log.read_text(errors="replace")
        for match in _DONE.finditer(text):
            runs.setdefault(match.group(1), []).append(float(match.group(2)))
        for match in _NOT_DONE.finditer(text):  # a retry or an error: no run time logged
            failed[match.group(1)] = failed.get(match.group(1), 0) + 1
    rows = []
    for name, times in runs.items():
        rows.append(
            {
                "task": name,
                "beat_entry": beat.get(name),
                "runs": len(times),
                "sent_by_beat": sent.get(name, 0),
                "total_s": round(sum(times), 2),
                "mean_ms": round(1000 * sum(times) / len(times), 1),
                "max_ms": round(1000 * max(times), 1),
                "share_of_one_core": round(sum(times) / max(seconds, 1), 3),
                "retried_or_raised": failed.get(name, 0),
            }
        )
    return {"tasks": sorted(rows, key=lambda row: -row["total_s"])}


def _table(per_name: dict) -> list[str]:
    """Client-side numbers per request name, and beside them the server's own (its
    Server-Timing, helpdesk/asgi.py): the difference is the time spent around the app."""
    lines = [
        "| request | requests | /s | errors | p50 | p95 | p95, 2nd half | p99 | server p95 "
        "| outside the app, p50 | alone: server p50 / CPU / run queue | arrived while busy "
        "| p95 target | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in per_name.items():
        target = row["target_p95_ms"]
        verdict = "" if target is None else ("met" if row["p95_ms"] <= target else "**missed**")
        alone = ""
        if row.get("alone"):
            alone = (
                f"{row['alone_p50_ms']} / {row['alone_cpu_p50_ms']} / "
                f"{row.get('alone_runq_p50_ms', '')} ({row['alone']})"
            )
        busy = row.get("arrived_while_busy")
        lines.append(
            f"| {name} | {row['requests']} | {row['per_second']} | {row['errors']} | "
            f"{row['p50_ms']} | {row['p95_ms']} | {row.get('p95_second_half_ms', '')} | "
            f"{row['p99_ms']} | {row.get('server_p95_ms', '')} | "
            f"{row.get('outside_app_p50_ms', '')} | {alone} | "
            f"{'' if busy is None else f'{100 * busy:.0f} %'} | {target or ''} | {verdict} |"
        )
    return lines


def _notes() -> list[str]:
    """bench/LOAD_NOTES.md, hand-written: why the numbers are what they are."""
    notes = Path(__file__).with_name("LOAD_NOTES.md")
    if not notes.exists():
        return []
    return [notes.read_text().strip(), "", "### The last runs", ""]


def markdown(result: dict) -> str:
    """bench/LOAD.md: the section the README and bench/RESULTS.md quote."""
    out = ["## make load (steady rate and capacity)", "", *_notes()]
    steady, capacity = result.get("steady"), result.get("capacity")
    if steady:
        out += [
            f"`{steady['command']}`: {steady['layout_text']}. Loopback, client-side times "
            f"(locust on the same 2 cores), the first {steady['settle_seconds']:.0f} s left "
            f"out. **{steady['rate']} actions/s offered** ({steady['users']} users, one action "
            f"every {steady['pacing']} s each) for {steady['seconds']} s: "
            f"{steady['measured_per_second']} requests and frames/s measured, "
            f"{steady['errors']} errors, {100 * steady.get('over_target_share', 0):.1f} % of the "
            "requests that have a target slower than it; p95 targets "
            + ("all met." if steady["ok"] else f"missed: {steady['missed_p95_ms']}."),
            "",
            *_table(steady["per_name"]),
            "",
            *_LEGEND,
            "",
            f"RSS (MB) at start {steady['rss_start_mb']}, at end {steady['rss_end_mb']}; growth "
            f"over the second half: {steady['rss_second_half_growth_mb']}. CPU seconds used "
            f"during the run: {steady['cpu_seconds']}: the app (with its PostgreSQL backends) "
            f"kept {steady.get('app_cores_busy')} cores busy, "
            f"{steady.get('app_cpu_ms_per_request')} ms of CPU per request or frame, so two "
            f"cores would be full at about {steady.get('two_core_ceiling_per_second')} "
            "requests and frames/s. Tasks waiting in the Celery queues at the start and the "
            f"end: {steady.get('celery_backlog')}; empty "
            f"{steady.get('celery_drained_after_s')} s after the load stopped.",
            "",
        ]
        out += _tasks(steady)
    if capacity:
        out += _capacity(capacity)
        out += _tasks(capacity)
    return "\n".join(out) + "\n"


_LEGEND = [
    "p95, 2nd half: the warm second half alone. server p95: the app's own time "
    "(Server-Timing: from the request reaching Django's ASGI handler to its answer starting). "
    "outside the app: the client's time minus the server's, request by request (the load "
    "generator, loopback HTTP, uvicorn; a form's POST also follows its redirect there). "
    "alone: requests that had their process to themselves (no other request in flight or "
    "arriving meanwhile): their server time, the process's CPU and the thread-milliseconds "
    "it spent ready but waiting for a core (the machine's other work), medians, with their "
    "count. arrived while busy: requests that found their process serving another.",
]


def _capacity(capacity: dict) -> list[str]:
    saturation, within = capacity.get("saturation_rate"), capacity["sustained_rate"]
    out = [
        f"Capacity (`{capacity['command']}`, {capacity['layout_text']}): the rate stepped "
        f"up {capacity['step_seconds']:.0f} s a step after {capacity['warmup_seconds']:.0f} s "
        f"of unjudged warm-up, the first {capacity['settle_seconds']:.0f} s of each step left "
        "out. **Saturation capacity: "
        + (
            "not judged by that run (older rules)"
            if "saturation_rate" not in capacity
            else "none of the steps"
            if saturation is None
            else f"{saturation:g} actions/s"
        )
        + f"** (no errors, the Celery queues grew by at most {capacity.get('backlog_limit', 30)} "
        f"tasks over a step, at most 5 % of the requests slower than "
        f"{capacity.get('knee', 2):g}× their p95 at the lowest rate); **within the p95 "
        "targets: "
        + ("none of the steps" if within is None else f"{within:g} actions/s")
        + "** (0 errors, every page with enough requests within its target, at most 5 % of "
        "all targeted requests over their own target); with every p95 within twice its "
        f"target: {capacity.get('rate_within_twice_the_targets') or 'none'}.",
        "",
        "| actions/s | users | requests+frames/s | errors | Celery queued (start→end) "
        "| median ÷ light-load p95 | over 2× light-load p95 | saturated because "
        "| over their target | worst p95 ÷ target | targets | missed p95 (ms) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for step in capacity["steps"]:
        rate = round(sum(r["per_second"] for r in step["per_name"].values()), 1)
        backlog = step.get("backlog") or {}
        because = "; ".join(step.get("saturated_because", [])) or (
            "not judged" if "saturated" not in step else "not saturated"
        )
        out.append(
            f"| {step['rate']} | {step['users']} | {rate} | {step['errors']} | "
            f"{backlog.get('start')}→{backlog.get('end')} | {step.get('median_ratio')} | "
            f"{100 * step.get('over_knee_share', 0):.1f} % | {because} | "
            f"{100 * step['over_target_share']:.1f} % | {step['worst_p95_over_target']} | "
            f"{'met' if step['ok'] else 'missed'} | {step['missed_p95_ms'] or ''} |"
        )
    out.append("")
    if capacity["steps"]:
        out += ["Last step:", "", *_table(capacity["steps"][-1]["per_name"]), ""]
    return out


def _tasks(section: dict) -> list[str]:
    rows = section.get("worker", {}).get("tasks", [])[:12]
    if not rows:
        return []
    lines = [
        "Celery worker time by task (wall seconds a pool process was busy; beat's periodic "
        "tasks have a schedule entry):",
        "",
        "| task | beat entry | runs | total s | mean ms | max ms | share of one core |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['task']} | {row['beat_entry'] or ''} | {row['runs']} | {row['total_s']} | "
            f"{row['mean_ms']} | {row['max_ms']} | {row['share_of_one_core']} |"
        )
    return [*lines, ""]
