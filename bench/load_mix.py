"""The load scenario's arithmetic (issue #11): the arrival rate, the targets, and the numbers.

Shared by bench/locustfile.py (inside locust) and bench/load.py (the runner), so both read the
same rate and the same targets.

The rate is an open model made of many slow users: every user starts one action every
LOAD_PACING seconds (locust's `constant_pacing`), whatever the server's answer time, so
`rate × pacing` users give `rate` actions a second. As long as an answer takes less than the
pacing (5 s by default) the server cannot slow the arrivals down, which is what hides a slow
server in a closed loop of users hammering as fast as they can. An action is one user step
(an inbox view, a ticket page with its sidebar, a contact form read and sent, a chat message);
the HTTP requests and socket frames it makes are counted separately.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from pathlib import Path

PACING = float(os.environ.get("LOAD_PACING", "5"))
# How each user spaces its actions: `poisson` (default) draws every gap from an exponential
# distribution with mean PACING, so the users' actions together arrive as a Poisson stream,
# as independent people's do; `comb` is locust's constant_pacing, one action exactly every
# PACING s, which locks every user to a fixed phase: the same pairs of users then meet on
# every round (a dashboard always beside the same webhook), and the others never do.
ARRIVALS = os.environ.get("LOAD_ARRIVALS", "poisson")
# Samples from the first seconds of a step (users still starting, the previous step's queue
# draining) are left out of its numbers.
SETTLE_SECONDS = float(os.environ.get("LOAD_SETTLE_SECONDS", "15"))
# A p95 of a handful of requests is its slowest one: a name with fewer samples in a capacity
# step is reported but not judged (the higher steps, which decide the capacity, have plenty).
MIN_SAMPLES = int(os.environ.get("LOAD_MIN_SAMPLES", "20"))
# Capacity mode first runs the lowest rate this long, unjudged: fresh processes compile
# templates and fill caches on their first requests.
WARMUP_SECONDS = float(os.environ.get("LOAD_WARMUP_SECONDS", "30"))

# p95 targets in ms from the issues (3: inbox, ticket page, search; 6: help center; 7: chat
# p99 50 ms, here as the message's ack; 9: 360 panel, dashboards). Request names without an
# entry have no target (their errors still count).
TARGETS_MS = {
    "agent inbox": 50,
    "agent ticket page": 80,
    "agent inbox search": 150,
    "customer 360": 60,
    "dashboard now": 300,
    "dashboard performance": 300,
    "help search": 30,
    "help suggest": 30,
    "help article": 20,
    "chat message": 50,
}

# User classes and their share of the actions (locust weights).
WEIGHTS = {"Agent": 5, "Manager": 1, "Customer": 7, "ChatCustomer": 3, "Inbound": 4}


def pacing():
    """The locust `wait_time` of every user (see ARRIVALS). Like constant_pacing, the gap runs
    from one action's start to the next, so a slow answer does not slow the arrivals down
    (until it takes longer than the gap: then the next action starts at once)."""
    if ARRIVALS == "comb":
        from locust import constant_pacing

        return constant_pacing(PACING)

    def wait_time(user) -> float:
        now = time.monotonic()
        planned = getattr(user, "_next_action_at", None)
        if planned is None:  # the first action has just run: start the schedule from it
            planned = now
        planned = max(planned + random.expovariate(1 / PACING), now)
        user._next_action_at = planned
        return planned - now

    return wait_time


def users_for(rate: float) -> int:
    """Users that start `rate` actions a second between them, each one every PACING s."""
    return max(sum(1 for w in WEIGHTS.values() if w), math.ceil(rate * PACING))


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def parse_server_timing(header: str) -> tuple:
    """(`app` ms, `inflight`, `cpu` ms, `runq` ms; the last two None for a crowded request)
    from helpdesk/asgi.py's Server-Timing header; (None, None)
    without one (a socket frame, a server started without SERVER_TIMING=1)."""
    found = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";dur=")
        try:
            found[name] = float(rest)
        except ValueError:
            continue
    inflight = found.get("inflight")
    busy = None if inflight is None else int(inflight)
    return found.get("app"), busy, found.get("cpu"), found.get("runq")


def summarize(samples: list[list], start: float, end: float) -> dict:
    """Per request name: count, errors, p50/p95/p99 (ms), rate — samples in [start, end);
    with the server's own p50/p95 (its Server-Timing) where it sent one, and the share of
    requests that arrived while their process was serving another."""
    times: dict[str, list[float]] = {}
    server: dict[str, list[float]] = {}
    around: dict[str, list[float]] = {}  # client time minus server time, per request
    alone: dict[str, list[tuple]] = {}  # (app ms, cpu ms, run queue ms) of lone requests
    shared: dict[str, int] = {}
    errors: dict[str, int] = {}
    for second, name, ms, ok, *timing in samples:
        if start <= second < end:
            times.setdefault(name, []).append(ms)
            errors[name] = errors.get(name, 0) + (0 if ok else 1)
            if timing and timing[0] is not None:
                server.setdefault(name, []).append(timing[0])
                around.setdefault(name, []).append(ms - timing[0])
                shared[name] = shared.get(name, 0) + (1 if timing[1] else 0)
                if len(timing) > 2 and timing[2] is not None:
                    alone.setdefault(name, []).append((timing[0], timing[2], timing[3] or 0.0))
    span = max(end - start, 1e-9)
    result = {}
    for name in sorted(times):
        ordered = sorted(times[name])
        target = TARGETS_MS.get(name)
        result[name] = {
            "requests": len(ordered),
            "errors": errors[name],
            "p50_ms": percentile(ordered, 0.50),
            "p95_ms": percentile(ordered, 0.95),
            "p99_ms": percentile(ordered, 0.99),
            "per_second": round(len(ordered) / span, 2),
            "target_p95_ms": target,
            "over_target": sum(1 for ms in ordered if ms > target) if target else 0,
        }
        if name in server:
            own = sorted(server[name])
            result[name]["server_p50_ms"] = percentile(own, 0.50)
            result[name]["server_p95_ms"] = percentile(own, 0.95)
            result[name]["outside_app_p50_ms"] = percentile(sorted(around[name]), 0.5)
            result[name]["arrived_while_busy"] = round(shared[name] / len(own), 2)
        if name in alone:
            lone = alone[name]
            result[name]["alone"] = len(lone)
            for key, index in (
                ("alone_p50_ms", 0),
                ("alone_cpu_p50_ms", 1),
                ("alone_runq_p50_ms", 2),
            ):
                result[name][key] = percentile(sorted(row[index] for row in lone), 0.5)
    return result


def errors_between(samples: list[list], start: float, end: float) -> int:
    """Failed requests and frames in [start, end): the settling seconds count here."""
    return sum(1 for second, _name, _ms, ok, *_ in samples if start <= second < end and not ok)


def verdict(per_name: dict, min_samples: int = 0, errors: int | None = None) -> dict:
    """Pass or fail: no errors, every name with at least `min_samples` requests within its
    p95 target, and — so that rare pages count at low rates too — at most 5 % of all the
    requests that have a target slower than their own target (a pooled p95)."""
    judged = {n: row for n, row in per_name.items() if row["target_p95_ms"] is not None}
    few = sorted(n for n, row in judged.items() if row["requests"] < min_samples)
    missed = {
        name: row["p95_ms"]
        for name, row in judged.items()
        if name not in few and row["p95_ms"] > row["target_p95_ms"]
    }
    if errors is None:
        errors = sum(row["errors"] for row in per_name.values())
    total = sum(row["requests"] for row in judged.values())
    over = sum(row["over_target"] for row in judged.values())
    share = round(over / total, 3) if total else 1.0
    ratios = [row["p95_ms"] / row["target_p95_ms"] for n, row in judged.items() if n not in few]
    return {
        "ok": not missed and errors == 0 and share <= 0.05,
        # How far the worst page is from its target (1 = on it): the rate "within twice the
        # targets" is worth knowing when the targets themselves are not met.
        "worst_p95_over_target": round(max(ratios), 2) if ratios else None,
        "missed_p95_ms": missed,
        "errors": errors,
        "over_target_share": share,
        "not_judged_too_few": few,
    }


class Recorder:
    """Every request and socket frame locust measures, with the second it ended: the run's
    numbers are computed from these (exact percentiles per step), not from locust's rounded
    buckets."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.samples: list[list] = []
        self.steps: list[dict] = []
        self.baseline: dict[str, float] | None = None  # per name p95 of the first step
        self.failures: dict[str, int] = {}

    def add(
        self,
        name: str,
        ms: float,
        exception: object | None,
        server_ms: float | None = None,
        inflight: int | None = None,
        cpu_ms: float | None = None,
        runq_ms: float | None = None,
    ) -> None:
        second = round(time.monotonic() - self.started, 2)
        sample = [second, name, round(ms, 1), exception is None]
        if server_ms is not None:
            sample += [server_ms, inflight, cpu_ms, runq_ms]
        self.samples.append(sample)
        if exception is not None:
            key = f"{name}: {str(exception)[:160]}"
            self.failures[key] = self.failures.get(key, 0) + 1

    def now(self) -> float:
        return time.monotonic() - self.started

    def write(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "samples": self.samples,
                    "steps": self.steps,
                    "failures": self.failures,
                    "pacing": PACING,
                }
            )
        )


def capacity_rates() -> list[float]:
    raw = os.environ.get("LOAD_CAPACITY_RATES", "2,4,6,8,10,12,16,20,25,30")
    return [float(part) for part in raw.split(",") if part.strip()]


def step_seconds() -> float:
    return float(os.environ.get("LOAD_STEP_SECONDS", "60"))
