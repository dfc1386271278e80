"""Shard balance on a 2,000-test suite with skewed (lognormal) durations, vs pytest-split.

Reports the heaviest shard of pytest-split's ``least_duration`` and
``duration_based_chunks`` (when pytest-split is installed) and of ours, and our ratio to
the lower bound ``max(total / N, longest test)``.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any, NamedTuple

from conveyor.results.sharding import lower_bound, split

TESTS = 2000
COUNTS = (4, 8, 16, 32)


class _Item(NamedTuple):
    nodeid: str


def _suite(seed: int = 2024) -> dict[str, float]:
    rng = random.Random(seed)
    found = {
        f"tests/test_{i:04d}.py::test_case": rng.lognormvariate(-0.5, 1.4) for i in range(TESTS - 6)
    }
    found.update({f"tests/test_slow_{i}.py::test_case": rng.uniform(60.0, 180.0) for i in range(6)})
    return found


def _pytest_split(count: int, durations: dict[str, float]) -> dict[str, float] | None:
    try:
        from pytest_split import algorithms
    except ImportError:
        return None
    items = [_Item(t) for t in durations]  # collection order: by id
    found = {}
    for label, algorithm in (
        ("least_duration", algorithms.Algorithms.least_duration.value),
        ("duration_based_chunks", algorithms.Algorithms.duration_based_chunks.value),
    ):
        groups = algorithm(count, items, durations)
        found[label] = round(max(g.duration for g in groups), 3)
    return found


def main() -> dict[str, Any]:
    durations = _suite()
    report: dict[str, Any] = {"tests": TESTS, "total_seconds": round(sum(durations.values()), 1)}
    for count in COUNTS:
        bound = lower_bound(durations, count)
        start = time.perf_counter()
        ours = max(s.duration for s in split(durations, count))
        elapsed = time.perf_counter() - start
        row: dict[str, Any] = {
            "lower_bound": round(bound, 3),
            "ours_max": round(ours, 3),
            "ours_ratio": round(ours / bound, 4),
            "ours_seconds": round(elapsed, 4),
        }
        theirs = _pytest_split(count, durations)
        if theirs is None:
            row["pytest_split"] = "unavailable"
        else:
            for label, value in theirs.items():
                row[f"{label}_max"] = value
                row[f"{label}_ratio"] = round(value / bound, 4)
        report[f"n{count}"] = row
    return report


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
