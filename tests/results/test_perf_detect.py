"""Regression detection on generated histories (bench/perf_histories.py): no alert on pure
noise or an outlier over 100 values, a step found within a few values with its change
point, a drift found; and the Mann–Whitney p-values against known exact values."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conveyor.results.perf_detect import DetectSettings, find_change, mann_whitney_greater

_PATH = Path(__file__).resolve().parents[2] / "bench" / "perf_histories.py"
_spec = importlib.util.spec_from_file_location("perf_histories", _PATH)
assert _spec is not None and _spec.loader is not None
histories = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("perf_histories", histories)
_spec.loader.exec_module(histories)

SEEDS = range(20)


def test_exact_mann_whitney() -> None:
    # all 3 after above all 5 before: one arrangement in C(8, 3) = 56
    assert mann_whitney_greater([10, 11, 12], [1, 2, 3, 4, 5]) == pytest.approx(1 / 56)
    assert mann_whitney_greater([1, 2, 3], [10, 11, 12, 13, 14]) == pytest.approx(1.0)
    # U = 14 of 15: two arrangements give U >= 14
    assert mann_whitney_greater([10, 11, 4.5], [1, 2, 3, 4, 5]) == pytest.approx(2 / 56)
    big = mann_whitney_greater([float(i) for i in range(30, 60)], [float(i) for i in range(30)])
    assert big < 1e-9  # the normal approximation, beyond the exact table


def test_pure_noise_and_an_outlier_never_alert() -> None:
    for kind in ("noise", "outlier"):
        score = histories.evaluate(kind, SEEDS)
        assert score.alerts == 0, kind


def test_a_step_is_found_at_its_commit_within_a_few_values() -> None:
    score = histories.evaluate("step", SEEDS)
    assert score.detected == len(SEEDS) and score.right == score.alerts
    assert max(score.delays) <= 8
    values = histories.history("step", 1)[:66]
    change = find_change(values, True)
    assert change is not None and change.verdict == "regression"
    assert abs(change.index - histories.STEP_AT) <= 1  # the noise may blur it by one
    assert change.points_after == 66 - change.index
    assert 0.10 < change.change < 0.20 and change.p_value < 0.0005


def test_a_slow_drift_is_found_once_it_is_large_enough() -> None:
    score = histories.evaluate("drift", SEEDS)
    assert score.detected >= len(SEEDS) // 2 and score.right == score.alerts


def test_history_suspects_improvements_and_rates() -> None:
    level = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.1, 99.9, 100.3] * 2
    assert find_change(level, True) is None
    # one slow value: a suspect, not yet a regression
    suspect = find_change([*level, 130.0], True)
    assert suspect is not None and suspect.verdict == "suspect" and suspect.points_after == 1
    # faster for good: an improvement
    faster = [80.0, 81.0, 79.0, 80.5, 80.2, 79.5]
    better = find_change([*level, *faster], True)
    assert better is not None and better.verdict == "improvement" and better.change < 0
    # a rate (higher is better) that drops is a regression
    rate = find_change([*level, *faster], False)
    assert rate is not None and rate.verdict == "regression" and rate.change > 0.15
    # below the threshold: not reported, however clear
    small = find_change([*level, 103.0, 103.1, 103.2, 103.3, 103.4], True)
    assert small is None
    assert find_change(
        [*level, 103.0, 103.1, 103.2, 103.3, 103.4], True, DetectSettings(threshold=0.02)
    )
    # an old change is history: ten values on, the new level is the normal
    assert find_change([*level, *[120.0 + i % 3 for i in range(15)]], True) is None
