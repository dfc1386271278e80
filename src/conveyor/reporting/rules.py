"""Alert rules: when a report deserves a notification whatever the policy says.

Syntax (one rule per string, case-insensitive)::

    [TIER] METRIC OP VALUE      integration failures >= 3,  flaky > 0,  duration > 60m
    any [TIER] KIND             any smoke failure,  any e2e timeout,  any failure

METRIC: ``failures`` (or ``failed``), ``passed``, ``skipped``, ``flaky``, ``tests``,
``quarantined``, ``duration`` (VALUE is a duration: ``90s``, ``60m``, ``2h``; per tier
it is the tier's duration, else the run's). ``duration > usual`` judges the run against
the workflow's own history instead of a fixed number: longer than the median of its
earlier runs plus four robust standard deviations, and 25 % longer at least
(:func:`conveyor.reporting.build.usual_duration`; nothing is usual before five runs).
OP: ``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``.
KIND: ``failure`` or a failure category (``infrastructure``, ``timeout``, ``assertion``,
``import``, ``other``). A tier is any name but a metric, ``any``, or an operator.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from conveyor.reporting.categories import CATEGORIES
from conveyor.reporting.durations import format_duration, parse_duration
from conveyor.reporting.model import Report, TierTotals

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_METRICS = ("failures", "failed", "passed", "skipped", "flaky", "tests", "quarantined", "duration")
_KINDS = ("failure", "failures", *CATEGORIES)
_COMPARE = re.compile(
    r"^(?:(?P<tier>[\w.-]+)\s+)?(?P<metric>[a-z]+)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<value>[^<>=!\s]+)$"
)
_ANY = re.compile(r"^any\s+(?:(?P<tier>[\w.-]+)\s+)?(?P<kind>[a-z]+)$")


class RuleError(ValueError):
    """A rule that cannot be parsed; the message quotes it and says what is expected."""


@dataclass(frozen=True, slots=True)
class AlertRule:
    text: str
    tier: str | None
    metric: str  # a metric, or "any:<kind>"
    op: str = ">"
    value: float = 0.0
    usual: bool = False  # ``duration > usual``: against the workflow's own history

    def reason(self, report: Report) -> str:
        """Why it fired, for the notification."""
        usual = report.usual_duration
        if self.usual and usual is not None and report.duration is not None:
            return (
                f"alert: {self.text} (took {format_duration(report.duration)}; usually "
                f"{format_duration(usual.median)}, the median of the last {usual.runs} runs, "
                f"alert beyond {format_duration(usual.limit)})"
            )
        return f"alert: {self.text}"

    def matches(self, report: Report) -> bool:
        if self.usual:
            return report.longer_than_usual
        if self.metric.startswith("any:"):
            kind = self.metric[4:]
            return any(
                not f.quarantined
                and (self.tier is None or f.tier.lower() == self.tier.lower())
                and (kind in ("failure", "failures") or f.category == kind)
                for f in report.failures
            )
        if self.tier is None:
            totals: TierTotals | None = report.totals()
        else:
            totals = report.tier(self.tier)
        if totals is None:
            return False
        return _OPS[self.op](self._measure(report, totals), self.value)

    def _measure(self, report: Report, totals: TierTotals) -> float:
        if self.metric == "duration":
            if self.tier is None and report.duration is not None:
                return report.duration
            return totals.duration
        if self.metric in ("failures", "failed"):
            return float(totals.failed)
        if self.metric == "tests":
            return float(totals.total)
        return float(getattr(totals, self.metric))


def parse_rule(text: str) -> AlertRule:
    """Parse one rule; :class:`RuleError` names the problem."""
    clean = " ".join(text.strip().lower().split())
    if not clean:
        raise RuleError("empty alert rule")
    found = _ANY.match(clean)
    if found:
        kind = found.group("kind")
        if kind not in _KINDS:
            raise RuleError(
                f"alert rule {text!r}: unknown kind {kind!r} after 'any' "
                f"(expected one of: {', '.join(_KINDS[1:])})"
            )
        return AlertRule(text, found.group("tier"), f"any:{kind}")
    found = _COMPARE.match(clean)
    if not found:
        raise RuleError(
            f"alert rule {text!r}: expected '[TIER] METRIC OP VALUE' "
            "(e.g. 'integration failures >= 3', 'duration > 60m') or 'any [TIER] KIND' "
            "(e.g. 'any smoke failure')"
        )
    metric, op, raw = found.group("metric"), found.group("op"), found.group("value")
    if metric not in _METRICS:
        raise RuleError(
            f"alert rule {text!r}: unknown metric {metric!r} (expected one of: "
            f"{', '.join(_METRICS)})"
        )
    if metric == "duration" and raw == "usual":
        if op not in (">", ">=") or found.group("tier"):
            raise RuleError(
                f"alert rule {text!r}: write 'duration > usual' (the run's duration, "
                "against the workflow's earlier runs)"
            )
        return AlertRule(text, found.group("tier"), metric, op, 0.0, usual=True)
    if metric != "duration" and not re.fullmatch(r"\d+(?:\.\d+)?", raw):
        raise RuleError(f"alert rule {text!r}: {raw!r} is not a number")
    try:
        value = parse_duration(raw) if metric == "duration" else float(raw)
    except ValueError as exc:
        raise RuleError(f"alert rule {text!r}: {exc}") from exc
    return AlertRule(text, found.group("tier"), metric, op, value)


def triggered(rules: list[AlertRule], report: Report) -> list[AlertRule]:
    return [rule for rule in rules if rule.matches(report)]
