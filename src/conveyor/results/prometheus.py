"""Prometheus text exposition (format 0.0.4) of :class:`~conveyor.results.stats.Stats`."""

from __future__ import annotations

import math
from collections.abc import Iterable

from conveyor.results.stats import Stats

Sample = tuple[dict[str, str], float]


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _family(name: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {escape_help(help_text)}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        rendered = ",".join(f'{k}="{escape_label(v)}"' for k, v in sorted(labels.items()))
        lines.append(
            f"{name}{{{rendered}}} {_number(value)}" if rendered else f"{name} {_number(value)}"
        )
    return lines


def render(stats: Stats) -> str:
    wf, tiers = stats.workflows, stats.tiers
    out: list[str] = []
    out += _family(
        "conveyor_workflow_runs",
        f"Completed runs per workflow in the last {stats.days:g} days.",
        (({"workflow": w.workflow}, w.runs) for w in wf),
    )
    out += _family(
        "conveyor_workflow_success_ratio",
        "Share of completed runs that succeeded.",
        (({"workflow": w.workflow}, w.success_rate) for w in wf),
    )
    out += _family(
        "conveyor_workflow_duration_mean_seconds",
        "Mean run duration.",
        (({"workflow": w.workflow}, w.mean_duration) for w in wf if w.mean_duration is not None),
    )
    out += _family(
        "conveyor_workflow_duration_p95_seconds",
        "95th percentile run duration.",
        (({"workflow": w.workflow}, w.p95_duration) for w in wf if w.p95_duration is not None),
    )
    out += _family(
        "conveyor_tier_pass_ratio",
        "Share of executed test cases that passed, per tier.",
        (({"tier": t.tier}, t.pass_rate) for t in tiers),
    )
    out += _family("conveyor_tests_seen", "Distinct tests with results.", [({}, stats.tests_seen)])
    out += _family("conveyor_tests_flaky", "Distinct flaky tests.", [({}, stats.flaky_tests)])
    out += _family(
        "conveyor_tests_flaky_ratio", "Flaky tests / tests seen.", [({}, stats.flaky_rate)]
    )
    out += _family(
        "conveyor_test_duration_mean_seconds",
        "Mean duration of the slowest tests.",
        (({"test": s.test_id}, s.mean_duration) for s in stats.slowest),
    )
    met = [({"target": "flakiness"}, float(stats.flaky_ok))]
    met += [({"target": "success_rate", "workflow": w.workflow}, float(w.success_ok)) for w in wf]
    met += [
        ({"target": "duration", "workflow": w.workflow}, float(w.duration_ok))
        for w in wf
        if w.duration_ok is not None
    ]
    met += [({"target": "pass_rate", "tier": t.tier}, float(t.ok)) for t in tiers]
    out += _family("conveyor_target_met", "1 when the target is met, else 0.", met)
    return "\n".join(out) + "\n"
