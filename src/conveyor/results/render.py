"""Plain-text and JSON renderings for the results commands."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from conveyor.results.flaky import FlakyTest
from conveyor.results.stats import Stats


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "-"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def flaky_json(found: list[FlakyTest]) -> list[dict[str, Any]]:
    return [{**dataclasses.asdict(f), "flip_rate": round(f.flip_rate, 4)} for f in found]


def flaky_text(found: list[FlakyTest]) -> str:
    if not found:
        return "no flaky tests"
    lines = []
    for f in found:
        lines.append(
            f"{f.test_id}\n  {', '.join(f.reasons)}; flaky commits {f.flaky_commits}; "
            f"flip rate {f.flip_rate:.2f} ({f.flips} flips / {f.runs} runs); "
            f"passed {f.passed} failed {f.failed} flaky {f.flaky}; "
            f"first {_when(f.first_seen)}, last {_when(f.last_seen)}"
        )
    return "\n".join(lines)


def stats_json(stats: Stats) -> dict[str, Any]:
    data = dataclasses.asdict(stats)
    data.pop("flaky", None)  # `conveyor flaky` lists them
    return data


def _mark(ok: bool | None) -> str:
    return "" if ok is None else ("  ok" if ok else "  MISSED")


def stats_text(stats: Stats) -> str:
    t = stats.targets
    lines = [f"last {stats.days:g} days", "", "workflows:"]
    if not stats.workflows:
        lines.append("  (no completed runs)")
    for w in stats.workflows:
        limit = f" (target {_secs(w.duration_target)})" if w.duration_target else ""
        lines.append(
            f"  {w.workflow}: {w.runs} runs, success {w.success_rate:.1%}"
            f"{_mark(w.success_ok)}, mean {_secs(w.mean_duration)}, "
            f"p95 {_secs(w.p95_duration)}{limit}{_mark(w.duration_ok)}"
            + _trend(w.duration_trend, "than the window before")
        )
    lines += ["", f"tiers (target pass rate {t.success_rate:.0%}):"]
    if not stats.tiers:
        lines.append("  (no test results)")
    for tier in stats.tiers:
        lines.append(
            f"  {tier.tier or '(none)'}: {tier.passed}/{tier.tests} passed "
            f"({tier.pass_rate:.1%}){_mark(tier.ok)}"
        )
    lines += [
        "",
        f"flaky: {stats.flaky_tests} of {stats.tests_seen} tests ({stats.flaky_rate:.2%}, "
        f"target < {t.flakiness:.0%}){_mark(stats.flaky_ok)}",
        "",
        "slowest tests:",
    ]
    lines += [f"  {s.mean_duration:9.3f}s  {s.test_id}" for s in stats.slowest] or ["  -"]
    lines += ["", "benchmarks (default branch, first -> last of the window):"]
    lines += [
        f"  {sparkline(b.values)}  {b.benchmark}: {b.first:.4g} -> {b.last:.4g} {b.unit} "
        f"({b.change:+.1%}{', worse' if b.change > 0.05 else ''}; {b.points} results)"
        for b in stats.benchmarks
    ] or ["  -"]
    return "\n".join(lines)


def _trend(change: float | None, against: str) -> str:
    if change is None:
        return ""
    return f", median {'+' if change >= 0 else ''}{change:.0%} {against}"


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 20) -> str:
    """The last ``width`` values as bars, low to high."""
    shown = values[-width:]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    span = (high - low) or 1.0
    return "".join(_BARS[min(7, int((v - low) / span * 8))] for v in shown).ljust(width)
