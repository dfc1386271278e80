"""Regression detection on generated histories (``bench/perf_histories.py``): precision,
recall, alerts on pure noise and on an outlier, and how many values after a step or the
start of a drift it is found, over 100 histories of 100 values per scenario, checked
after every value as CI would. Also the time of one ``find_change`` on 200 values."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "perf_histories", Path(__file__).resolve().parent / "perf_histories.py"
)
assert _spec and _spec.loader
histories = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("perf_histories", histories)
_spec.loader.exec_module(histories)

SEEDS = range(100)


def main() -> dict[str, object]:
    from conveyor.results.perf_detect import find_change

    started = time.perf_counter()
    result = histories.summary(SEEDS)
    result["seconds"] = round(time.perf_counter() - started, 1)
    values = histories.history("step", 0, length=200)
    rounds = 50
    started = time.perf_counter()
    for _ in range(rounds):
        find_change(values, True)
    result["check_ms_200_values"] = round((time.perf_counter() - started) / rounds * 1000, 2)
    return result
