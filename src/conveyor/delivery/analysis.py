"""Canary analysis: read each metric for the canary and the stable version over one
interval, and judge it -- ``pass``, ``fail`` or ``inconclusive`` (no data, too few
samples, a source that did not answer: a human decides, never a silent pass).

Sources (:class:`~conveyor.delivery.canary_plan.Metric`):

- ``traffic`` (also written ``router`` or ``cloudwatch``): the provider's own view of
  each version's requests (:meth:`~conveyor.delivery.ports.CanaryProvider.traffic`):
  ``error-rate`` (5xx or no answer / requests; samples: the rate per bucket),
  ``request-rate`` (per second; samples per bucket) and ``latency-pNN`` (the percentile
  over the interval; samples: every request's latency, or the buckets' percentiles when
  the provider only has those);
- ``prometheus``: ``GET <url>/api/v1/query`` with the PromQL, ``{{version}}`` replaced by
  the version's name, evaluated at the interval's end; a vector or scalar gives one
  sample per series, a matrix (a range or subquery) one per point;
- ``command``: run with ``bash -e``, ``{{version}}`` replaced and ``$CANARY_VERSION``,
  ``$CANARY_ROLE`` (``canary``/``stable``), ``$CANARY_START``/``$CANARY_END`` set; its
  last line of output holds one number (or several, whitespace-separated: samples).

Judging: a threshold (``success: "< 0.01"``) on the canary's value; and/or
``baseline: true``: Mann-Whitney U (one-sided, "is the canary worse?") over the two
samples -- it fails only when p < ``alpha``, the effect size (Cliff's delta toward worse)
is at least ``min-effect`` and the canary's median sample is worse than the stable one's
by at least ``tolerance`` (relative), so a statistically significant but negligible
difference passes.
"""

from __future__ import annotations

import math
import operator
import os
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event
from typing import Literal

import httpx

from conveyor.delivery.canary_plan import TRAFFIC_METRICS, Analysis, Metric, condition
from conveyor.delivery.mannwhitney import mann_whitney
from conveyor.delivery.ports import Bucket, CanaryProvider, ProviderError, Target
from conveyor.errors import ConveyorError
from conveyor.runners.process import Limits, run_process
from conveyor.runners.shells import which

Verdict = Literal["pass", "fail", "inconclusive"]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NaN|nan")


class SourceError(ConveyorError):
    """A metric source did not give a value; the analysis calls it inconclusive."""


@dataclass(frozen=True, slots=True)
class Reading:
    value: float | None  # the metric over the interval (None: no data)
    samples: tuple[float, ...] = ()  # what the statistical test compares


@dataclass(frozen=True, slots=True)
class Judgement:
    metric: str
    verdict: Verdict
    canary_value: float | None = None
    stable_value: float | None = None
    p_value: float | None = None
    effect: float | None = None  # Cliff's delta toward worse (+1: the canary always worse)
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Versions:
    """The two versions: provider ids (traffic) and names (queries, commands)."""

    stable_ref: str
    stable_name: str
    canary_ref: str
    canary_name: str


@dataclass(slots=True)
class Reader:
    """Reads metrics for one canary."""

    provider: object
    target: Target
    versions: Versions
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = Path()
    cancel: Event = field(default_factory=Event)
    command_timeout: float = 60.0
    http_timeout: float = 10.0

    def traffic(self, start: float, end: float, buckets: int) -> tuple[list[Bucket], list[Bucket]]:
        if not isinstance(self.provider, CanaryProvider):
            raise SourceError("this provider does not measure traffic")
        v = self.versions
        try:
            found = self.provider.traffic(
                self.target, [v.canary_ref, v.stable_ref], start, end, buckets
            )
        except (ProviderError, OSError) as exc:
            raise SourceError(str(exc)) from exc
        return found.get(v.canary_ref, []), found.get(v.stable_ref, [])

    def read(
        self, metric: Metric, analysis: Analysis, start: float, end: float, role: str
    ) -> Reading:
        name = self.versions.canary_name if role == "canary" else self.versions.stable_name
        if metric.source == "prometheus":
            url = metric.url or analysis.prometheus
            if not url:
                raise SourceError(f"metric {metric.name}: no Prometheus url (analysis.prometheus)")
            return _prometheus(url, _fill(metric.query or "", name), end, self.http_timeout)
        if metric.source == "command":
            env = {
                **self.env,
                "CANARY_VERSION": name,
                "CANARY_ROLE": role,
                "CANARY_START": f"{start:.3f}",
                "CANARY_END": f"{end:.3f}",
            }
            return self._command(_fill(metric.command or "", name), env)
        raise SourceError(f"metric {metric.name}: traffic metrics are read with traffic()")

    def _command(self, command: str, env: dict[str, str]) -> Reading:
        shell = which("bash", env.get("PATH", os.defpath)) or "sh"
        lines: list[str] = []
        try:
            outcome = run_process(
                [shell, "-e", "-c", command],
                cwd=self.cwd,
                env=env,
                feed=lambda line, _stream: lines.append(line),
                cancel=self.cancel,
                limits=Limits(timeout=self.command_timeout),
            )
        except OSError as exc:
            raise SourceError(f"could not start {command!r}: {exc}") from exc
        if outcome.exit_code != 0 or outcome.timed_out:
            raise SourceError(f"{command!r} failed (exit code {outcome.exit_code})")
        last = next((line for line in reversed(lines) if line.strip()), "")
        values = [float(x) for x in _NUMBER.findall(last)]
        values = [x for x in values if not math.isnan(x)]
        if not values:
            raise SourceError(f"{command!r} printed no number")
        return Reading(sum(values) / len(values), tuple(values))


def _fill(text: str, version: str) -> str:
    return re.sub(r"\{\{\s*version\s*\}\}", version, text)


def _prometheus(url: str, query: str, at: float, timeout: float) -> Reading:
    try:
        answer = httpx.get(
            url.rstrip("/") + "/api/v1/query",
            params={"query": query, "time": f"{at:.3f}"},
            timeout=timeout,
        )
        data = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SourceError(f"Prometheus at {url} did not answer {query!r}: {exc}") from exc
    if answer.status_code != 200 or data.get("status") != "success":
        raise SourceError(
            f"Prometheus at {url} refused {query!r}: {data.get('error', answer.status_code)}"
        )
    result = data.get("data", {})
    kind, found = result.get("resultType"), result.get("result", [])
    values: list[float] = []
    if kind == "scalar":
        values = [float(found[1])]
    elif kind == "vector":
        values = [float(series["value"][1]) for series in found]
    elif kind == "matrix":
        values = [float(point[1]) for series in found for point in series["values"]]
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return Reading(None)
    return Reading(sum(values) / len(values), tuple(values))


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def traffic_reading(metric: str, buckets: Sequence[Bucket], seconds: float) -> Reading:
    """A traffic metric (``error-rate``, ``request-rate``, ``latency-pNN``) of one
    version's buckets over ``seconds``."""
    found = TRAFFIC_METRICS.match(metric)
    assert found is not None
    requests = sum(b.requests for b in buckets)
    if metric == "request-rate":
        width = seconds / max(1, len(buckets))
        return Reading(requests / seconds, tuple(b.requests / width for b in buckets))
    if metric == "error-rate":
        samples = tuple(b.errors / b.requests for b in buckets if b.requests)
        value = sum(b.errors for b in buckets) / requests if requests else None
        return Reading(value, samples)
    q = float(found.group(2))
    latencies = [ms for b in buckets for ms in b.latencies]
    if latencies:
        return Reading(_percentile(latencies, q), tuple(latencies))
    key = f"p{found.group(2)}"
    given = [b.percentiles[key] for b in buckets if key in b.percentiles]
    return Reading(sum(given) / len(given) if given else None, tuple(given))


def judge(metric: Metric, canary: Reading, stable: Reading | None) -> Judgement:
    """One metric's verdict for one interval."""
    base = Judgement(metric.name, "pass", canary.value, stable.value if stable else None)
    if canary.value is None:
        return _with(base, "inconclusive", "no data for the canary in this interval")
    problems: list[str] = []
    notes: list[str] = []
    if metric.success is not None:
        op, limit = condition(metric.success)
        ok = _OPS[op](canary.value, limit)
        (notes if ok else problems).append(f"{canary.value:.4g} {op} {limit:g}: {ok}")
    p_value = effect = None
    if metric.baseline:
        if stable is None or stable.value is None:
            return _with(base, "inconclusive", "no data for the stable version in this interval")
        if len(canary.samples) < metric.min_samples or len(stable.samples) < metric.min_samples:
            return _with(
                base,
                "inconclusive",
                f"too few samples to compare ({len(canary.samples)} canary, "
                f"{len(stable.samples)} stable; min-samples {metric.min_samples})",
            )
        worse: Literal["greater", "less"] = "greater" if metric.direction == "lower" else "less"
        test = mann_whitney(canary.samples, stable.samples, worse)
        p_value = test.p_value
        effect = test.effect if worse == "greater" else -test.effect
        # how much worse, as Kayenta measures it: the samples' medians (the bulk of the
        # distribution, not its summary's tail, which noise dominates on a busy machine)
        change = _relative(
            statistics.median(canary.samples), statistics.median(stable.samples), metric.direction
        )
        said = (
            f"canary {canary.value:.4g} vs stable {stable.value:.4g}, median {change:+.1%} "
            f"worse, Mann-Whitney p={p_value:.3g}, effect {effect:+.2f}"
        )
        if p_value < metric.alpha and effect >= metric.min_effect and change >= metric.tolerance:
            problems.append(said)
        else:
            notes.append(said)
    if problems:
        return Judgement(
            metric.name, "fail", canary.value, base.stable_value, p_value, effect,
            "; ".join(problems + notes),
        )  # fmt: skip
    return Judgement(
        metric.name, "pass", canary.value, base.stable_value, p_value, effect, "; ".join(notes)
    )


def _relative(canary: float, stable: float, direction: str) -> float:
    """How much worse the canary is, relative to the stable value (negative: better)."""
    difference = canary - stable if direction == "lower" else stable - canary
    if stable == 0:
        return math.inf if difference > 0 else (0.0 if difference == 0 else -math.inf)
    return difference / abs(stable)


def _with(base: Judgement, verdict: Verdict, detail: str) -> Judgement:
    return Judgement(base.metric, verdict, base.canary_value, base.stable_value, detail=detail)


def analyse(reader: Reader, analysis: Analysis, start: float, end: float) -> list[Judgement]:
    """Every metric of ``analysis`` over [start, end)."""
    out: list[Judgement] = []
    traffic: tuple[list[Bucket], list[Bucket]] | None = None
    traffic_error = ""
    for metric in analysis.metrics:
        try:
            if metric.source in ("traffic", "router", "cloudwatch"):
                if traffic is None and not traffic_error:
                    try:
                        traffic = reader.traffic(start, end, analysis.buckets)
                    except SourceError as exc:
                        traffic_error = str(exc)
                if traffic is None:
                    raise SourceError(traffic_error)
                assert metric.metric is not None
                canary = traffic_reading(metric.metric, traffic[0], end - start)
                stable: Reading | None = traffic_reading(metric.metric, traffic[1], end - start)
            else:
                canary = reader.read(metric, analysis, start, end, "canary")
                stable = (
                    reader.read(metric, analysis, start, end, "stable") if metric.baseline else None
                )
        except SourceError as exc:
            out.append(Judgement(metric.name, "inconclusive", detail=f"no value: {exc}"))
            continue
        out.append(judge(metric, canary, stable))
    return out
