from __future__ import annotations

import threading
import time

import pytest

from conveyor.engine.scheduler import DagScheduler, Expansion
from conveyor.errors import UserError


def test_starts_node_as_soon_as_its_own_needs_finish() -> None:
    # a(slow) ; b(fast) -> c. c must start before a finishes (no stage barrier).
    log: list[str] = []
    lock = threading.Lock()

    def unit(name: str, delay: float):
        def run() -> str:
            with lock:
                log.append(f"start {name}")
            time.sleep(delay)
            with lock:
                log.append(f"end {name}")
            return name

        return run

    delays = {"a": 0.4, "b": 0.01, "c": 0.01}
    finished: dict[str, list[str]] = {}
    sched: DagScheduler[str] = DagScheduler({"a": [], "b": [], "c": ["b"]}, workers=4)
    sched.run(lambda n: Expansion([unit(n, delays[n])]), finished.__setitem__)
    assert log.index("end c") < log.index("end a")
    assert finished == {"a": ["a"], "b": ["b"], "c": ["c"]}


def test_limit_caps_units_of_one_node() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def unit() -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return 1

    results: list[int] = []
    sched: DagScheduler[int] = DagScheduler({"m": []}, workers=8)
    sched.run(lambda n: Expansion([unit] * 6, limit=2), lambda n, r: results.extend(r))
    assert peak == 2
    assert results == [1] * 6


def test_empty_expansion_finishes_immediately_and_dependants_run() -> None:
    order: list[str] = []
    sched: DagScheduler[int] = DagScheduler({"a": [], "b": ["a"]}, workers=1)
    sched.run(
        lambda n: Expansion([] if n == "a" else [lambda: 1]),
        lambda n, r: order.append(f"{n}:{len(r)}"),
    )
    assert order == ["a:0", "b:1"]


def test_unknown_need_and_cycle_are_user_errors() -> None:
    with pytest.raises(UserError, match="unknown"):
        DagScheduler({"a": ["zz"]}, workers=1)
    sched: DagScheduler[int] = DagScheduler({"a": ["b"], "b": ["a"]}, workers=1)
    with pytest.raises(UserError, match="cycle"):
        sched.run(lambda n: Expansion([lambda: 1]), lambda n, r: None)
