"""Targets the stats are compared with (defaults from the nightly-build and tiers specs).

Plain dataclasses so a later ``conveyor.toml`` loader can fill them.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DurationTarget:
    """Workflows whose name or file matches one of ``match`` (glob, case-insensitive)
    should finish (p95) within ``max_seconds``."""

    name: str
    max_seconds: float
    match: tuple[str, ...]

    def applies_to(self, workflow: str) -> bool:
        lowered = workflow.lower()
        return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in self.match)


def _default_durations() -> tuple[DurationTarget, ...]:
    return (
        DurationTarget("PR validation", 5 * 60, ("*pr*validation*", "*pull*request*", "*pr-*")),
        DurationTarget("full check", 15 * 60, ("*full*check*",)),
        DurationTarget("post-merge", 30 * 60, ("*post*merge*",)),
        DurationTarget("nightly", 2 * 3600, ("*nightly*",)),
    )


@dataclass(frozen=True, slots=True)
class Targets:
    success_rate: float = 0.95  # per workflow, and test pass rate per tier
    flakiness: float = 0.02  # flaky tests / tests seen
    durations: tuple[DurationTarget, ...] = field(default_factory=_default_durations)

    def duration_for(self, workflow: str) -> DurationTarget | None:
        return next((t for t in self.durations if t.applies_to(workflow)), None)
