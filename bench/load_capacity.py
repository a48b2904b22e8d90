"""The capacity search's rules (LOAD_CAPACITY=1): how a step is judged and when stepping stops.

Two capacities are recorded, because they answer different questions:

- **saturation capacity**: the highest rate the stack serves without falling behind: no
  errors, the Celery queues do not grow over the step (the worker keeps up with the inbound
  messages), and latency stays within LOAD_KNEE (2) times what the same requests took at the
  lowest rate, the light-load baseline (at most 5 % of the requests slower than twice their
  name's baseline p95). It does not depend on how fast the machine is, only on where its
  queues start to build, so a noisy or slow machine still records one. Stepping stops at the
  first saturated step: past it the numbers only show the queue.
- **capacity within the targets**: the highest rate (every step below it passing too) with
  every page within its p95 target from the issues (bench/load_mix.verdict). Absolute, so it
  says something only on a quiet machine; it can be "none" when even light load misses a
  target, which is then a property of the pages, not of the load.

Every step is judged on its steady part only: the run starts with LOAD_WARMUP_SECONDS at the
lowest rate (cold caches, first template compiles) that no step counts, and each step's first
LOAD_SETTLE_SECONDS (users starting, the previous step's queue draining) are left out.
"""

from __future__ import annotations

import os

from bench.load_mix import (
    MIN_SAMPLES,
    SETTLE_SECONDS,
    errors_between,
    percentile,
    summarize,
    users_for,
    verdict,
)

KNEE = float(os.environ.get("LOAD_KNEE", "2"))
# Tasks the Celery queues may gain over a step before the worker counts as falling behind
# (a burst of webhooks at the step's end is not a trend).
BACKLOG_LIMIT = int(os.environ.get("LOAD_BACKLOG_LIMIT", "30"))
BASELINE_MIN = 5  # requests of a name in the baseline step before its p95 is used


def baseline(per_name: dict) -> dict[str, float]:
    """Per request name: its p95 at the lowest rate (names seen often enough)."""
    return {n: row["p95_ms"] for n, row in per_name.items() if row["requests"] >= BASELINE_MIN}


def slowdown(samples: list[list], start: float, end: float, base: dict[str, float]) -> dict:
    """Share of the step's requests (names with a baseline) slower than LOAD_KNEE times their
    name's light-load p95, and the median ratio of a request's time to that p95."""
    ratios = [
        ms / max(base[name], 1.0)
        for second, name, ms, _ok, *_ in samples
        if start <= second < end and name in base
    ]
    if not ratios:
        return {"judged": 0, "over_knee_share": 0.0, "median_ratio": None}
    over = sum(1 for ratio in ratios if ratio > KNEE)
    return {
        "judged": len(ratios),
        "over_knee_share": round(over / len(ratios), 3),
        "median_ratio": percentile(sorted(ratios), 0.5),
    }


def backlog_total(redis_url: str) -> int | None:
    if not redis_url:
        return None
    from bench.load_report import queue_backlog

    found = queue_backlog(redis_url)
    return sum(found.values()) if found else None


def judge_step(
    recorder, rate: float, whole: float, now: float, backlog: tuple[int | None, int | None]
) -> dict:
    """The step that ran from `whole` to `now` (recorder seconds): its numbers without the
    settling seconds, its verdict against the targets, and whether it saturated."""
    per_name = summarize(recorder.samples, whole + SETTLE_SECONDS, now)
    step = {
        "rate": rate,
        "users": users_for(rate),
        "seconds": [round(whole, 1), round(now, 1)],
        "per_name": per_name,
        **verdict(per_name, MIN_SAMPLES, errors_between(recorder.samples, whole, now)),
    }
    if recorder.baseline is None:
        recorder.baseline = baseline(per_name)
    step["baseline_p95_ms"] = recorder.baseline
    step.update(slowdown(recorder.samples, whole + SETTLE_SECONDS, now, recorder.baseline))
    start, end = backlog
    step["backlog"] = {"start": start, "end": end}
    reasons = []
    if step["errors"]:
        reasons.append(f"{step['errors']} errors")
    if start is not None and end is not None and end - start > BACKLOG_LIMIT:
        reasons.append(f"the Celery queues grew by {end - start} tasks")
    if step["over_knee_share"] > 0.05:
        reasons.append(
            f"{100 * step['over_knee_share']:.0f} % of the requests slower than {KNEE:g}× "
            "their light-load p95"
        )
    step["saturated"] = bool(reasons)
    step["saturated_because"] = reasons
    return step


def capacity_section(steps: list[dict]) -> dict:
    """bench/load.json's capacity numbers from the judged steps."""

    def highest(passes) -> float | None:
        found = None
        for step in steps:
            if not passes(step):
                break
            found = step["rate"]
        return found

    def within_2x(step: dict) -> bool:
        worst = step["worst_p95_over_target"]
        return not step["errors"] and worst is not None and worst <= 2

    return {
        "steps": steps,
        "saturation_rate": highest(lambda step: not step.get("saturated", True)),
        "sustained_rate": highest(lambda step: step["ok"]),
        "rate_within_twice_the_targets": highest(within_2x),
        "passed_rates": [step["rate"] for step in steps if step["ok"]],
        "knee": KNEE,
        "backlog_limit": BACKLOG_LIMIT,
    }
