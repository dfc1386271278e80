"""Generated benchmark histories and how conveyor's regression detection does on them.

Four scenarios of 100 values each, a time in ms around 100 with 3 % Gaussian noise and
a long right tail (3 % of the values up to ~30 % slower, as on a busy CI machine):

- ``noise``: nothing changes;
- ``step``: 15 % slower from value 60 on;
- ``drift``: 0.3 % slower per value from value 40 on (18 % by the end);
- ``outlier``: one value 80 % slower (value 70), nothing else changes.

The detection is run as CI would: after every new value (from the 10th), on the history
so far. Consecutive checks that report a regression are one **alert**. An alert is
right when the change is real and it points at it: for ``step`` a change point within 3
values of 60, for ``drift`` one at or after 40. Precision is right alerts / alerts;
recall is histories with a real change that got a right alert / such histories.
Used by ``bench/bench_perf.py`` and ``tests/results/test_perf_detect.py``.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from conveyor.results.perf_detect import DetectSettings, find_change

SCENARIOS = ("noise", "step", "drift", "outlier")
LENGTH = 100
STEP_AT, DRIFT_FROM, OUTLIER_AT = 60, 40, 70


def history(kind: str, seed: int, length: int = LENGTH, noise: float = 0.03) -> list[float]:
    rng = random.Random(f"{kind}-{seed}")
    values = []
    for i in range(length):
        level = 100.0
        if kind == "step" and i >= STEP_AT:
            level *= 1.15
        if kind == "drift" and i >= DRIFT_FROM:
            level *= 1 + 0.003 * (i - DRIFT_FROM)
        value = level * (1 + rng.gauss(0, noise))
        if rng.random() < 0.03:
            value *= 1 + abs(rng.gauss(0, 0.1))
        if kind == "outlier" and i == OUTLIER_AT:
            value = level * 1.8
        values.append(value)
    return values


@dataclass(slots=True)
class Score:
    histories: int = 0
    alerts: int = 0
    right: int = 0
    detected: int = 0  # histories with a real change that got a right alert
    delays: list[int] = field(default_factory=list)  # values after the change until found


def _right(kind: str, index: int) -> bool:
    if kind == "step":
        return abs(index - STEP_AT) <= 3
    return kind == "drift" and index >= DRIFT_FROM


def evaluate(kind: str, seeds: range, settings: DetectSettings | None = None) -> Score:
    score = Score()
    for seed in seeds:
        values = history(kind, seed)
        score.histories += 1
        alerting, found = False, False
        for end in range(10, len(values) + 1):
            change = find_change(values[:end], True, settings)
            now = change is not None and change.verdict == "regression"
            if now and not alerting:
                assert change is not None
                score.alerts += 1
                if _right(kind, change.index):
                    score.right += 1
                    if not found:
                        found = True
                        score.detected += 1
                        start = STEP_AT if kind == "step" else DRIFT_FROM
                        score.delays.append(end - start)
            alerting = now
    return score


def summary(seeds: range, settings: DetectSettings | None = None) -> dict[str, object]:
    scores = {kind: evaluate(kind, seeds, settings) for kind in SCENARIOS}
    alerts = sum(s.alerts for s in scores.values())
    right = sum(s.right for s in scores.values())
    real = scores["step"].histories + scores["drift"].histories
    found = scores["step"].detected + scores["drift"].detected
    result: dict[str, object] = {
        "histories": sum(s.histories for s in scores.values()),
        "precision": round(right / alerts, 3) if alerts else 1.0,
        "recall": round(found / real, 3) if real else 1.0,
        "noise_alerts": scores["noise"].alerts,
        "outlier_alerts": scores["outlier"].alerts,
    }
    for kind in ("step", "drift"):
        s = scores[kind]
        delays = sorted(s.delays)
        result[f"{kind}_recall"] = round(s.detected / s.histories, 3)
        result[f"{kind}_median_delay"] = delays[len(delays) // 2] if delays else None
        result[f"{kind}_wrong_alerts"] = s.alerts - s.right
    return result
