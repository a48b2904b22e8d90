"""`make load`'s rules (bench/load_capacity.py, bench/load_mix.pacing): the capacity search must
record a rate on a slow machine and stop where the stack saturates, and the users' arrivals
must not be locked in step."""

from __future__ import annotations

import random

from bench import load_mix
from bench.load_capacity import capacity_section, judge_step
from bench.load_mix import Recorder


def _recorder(rows: list[tuple[float, str, float, bool]]) -> Recorder:
    recorder = Recorder()
    recorder.samples = [list(row) for row in rows]
    return recorder


def _step(recorder: Recorder, rate: float, start: float, backlog=(0, 0)) -> dict:
    return judge_step(recorder, rate, start, start + 60, backlog)


def test_a_slow_machine_still_records_where_the_stack_saturates():
    # Every page misses its absolute target (inbox 50 ms) even at the lowest rate.
    rows = [(20 + i * 0.4, "agent inbox", 120.0 + i % 7, True) for i in range(100)]
    rows += [(80 + i * 0.3, "agent inbox", 125.0 + i % 9, True) for i in range(150)]
    rows += [(140 + i * 0.2, "agent inbox", 400.0 + i % 11, True) for i in range(200)]
    recorder = _recorder(rows)

    steps = [_step(recorder, 2, 0), _step(recorder, 4, 60), _step(recorder, 6, 120)]

    assert [s["ok"] for s in steps] == [False, False, False]  # the targets: never met
    assert [s["saturated"] for s in steps] == [False, False, True]
    assert "slower than 2× their light-load p95" in steps[2]["saturated_because"][0]
    found = capacity_section(steps)
    assert found["saturation_rate"] == 4
    assert found["sustained_rate"] is None


def test_errors_and_a_growing_celery_backlog_saturate_a_step():
    rows = [(20 + i * 0.4, "help article", 10.0, True) for i in range(100)]
    rows += [(80 + i * 0.4, "help article", 10.0, i != 5) for i in range(100)]
    recorder = _recorder(rows)

    calm = _step(recorder, 2, 0, backlog=(0, 3))
    failing = _step(recorder, 4, 60, backlog=(3, 200))

    assert not calm["saturated"]
    assert failing["saturated_because"] == ["1 errors", "the Celery queues grew by 197 tasks"]
    assert capacity_section([calm, failing])["saturation_rate"] == 2


def test_the_settling_seconds_of_a_step_are_not_judged():
    settle = load_mix.SETTLE_SECONDS
    rows = [(20 + i * 0.4, "help search", 20.0, True) for i in range(100)]
    rows += [(60 + settle / 2, "help search", 5000.0, True)]  # the previous step draining
    rows += [(60 + settle + i * 0.4, "help search", 21.0, True) for i in range(100)]
    recorder = _recorder(rows)

    _step(recorder, 2, 0)
    second = _step(recorder, 4, 60)

    assert second["per_name"]["help search"]["p95_ms"] == 21.0
    assert not second["saturated"]


def test_users_arrive_at_random_gaps_that_average_the_pacing():
    random.seed(7)
    wait = load_mix.pacing()

    class User:
        pass

    user, gaps = User(), []
    for _ in range(2000):
        gaps.append(wait(user))
        user._next_action_at -= gaps[-1]  # as if the gap had passed
    mean = sum(gaps) / len(gaps)
    assert abs(mean - load_mix.PACING) < 0.1 * load_mix.PACING
    assert len({round(gap, 3) for gap in gaps}) > 1000  # no two users stay in step


def test_a_slow_answer_does_not_pile_up_actions_afterwards():
    wait = load_mix.pacing()

    class User:
        pass

    user = User()
    wait(user)
    user._next_action_at -= 10_000  # the last action took far longer than its gap
    assert wait(user) >= 0
