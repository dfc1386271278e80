"""A canary's plan: the ``steps:`` of ``strategy: canary`` (or a CodeDeploy preset by
name) and its ``analysis:`` -- what ``conveyor/deploy@v1`` reads, checked here.

Steps, in order (Argo Rollouts' vocabulary)::

    - weight: 10          # send 10 % of new requests to the canary
    - pause: 5m           # wait (analysis runs in the background every interval)
    - analysis: {count: 3}  # run the analysis for 3 intervals, blocking
    - weight: 50
    - pause: {}           # wait until `conveyor canary promote` (or `pause: indefinite`)

After the last step the canary is promoted: the live alias switches to it. Presets, as
AWS CodeDeploy names them: ``CanaryNPercentMMinutes`` (N %, wait M minutes, then all),
``LinearNPercentEveryMMinutes`` (N % more every M minutes), ``AllAtOnce``.
``time-scale`` multiplies every duration (pauses and intervals): tests and benchmarks
run the real presets in seconds.

Each metric of the analysis has a source -- ``traffic`` (the provider's own measurements:
the process provider's router, a Lambda's CloudWatch metrics), ``prometheus`` (PromQL
with ``{{version}}``), or ``command`` (prints a number) -- and a success condition
(``success: "< 0.01"``), a judgement against the stable version (``baseline: true``:
Mann-Whitney U over the interval's samples, with the effect size and a tolerance), or
both.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from conveyor.delivery.ports import Pin
from conveyor.delivery.settings import Duration

TRAFFIC_METRICS = re.compile(r"^(error-rate|request-rate|latency-p(\d{1,2}))$")
_CONDITION = re.compile(r"^\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$")
_CANARY = re.compile(r"^Canary(\d+)Percent(\d+)Minutes?$")
_LINEAR = re.compile(r"^Linear(\d+)PercentEvery(\d+)Minutes?$")
INDEFINITE = ("indefinite", "forever", "until-promoted")


class PlanError(ValueError):
    """A canary plan that cannot be run; the message names the input and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def condition(text: str) -> tuple[str, float]:
    found = _CONDITION.match(text)
    if not found:
        raise ValueError(f"{text!r} is not a condition: write e.g. '< 0.01' or '<= 250'")
    return found.group(1), float(found.group(2))


class Metric(_Strict):
    name: str
    source: Literal["traffic", "router", "cloudwatch", "prometheus", "command"] = "traffic"
    metric: str | None = None  # traffic: error-rate, request-rate, latency-p95, ...
    query: str | None = None  # prometheus: PromQL, {{version}} is the version
    url: str | None = None  # prometheus: the server (default: the analysis's prometheus)
    command: str | None = None  # prints one number (or several: samples)
    success: str | None = None  # a threshold the canary's value must meet
    baseline: bool = False  # judged against the stable version (Mann-Whitney U)
    direction: Literal["lower", "higher"] = "lower"  # which values are better
    alpha: float = Field(0.01, gt=0, lt=1)  # the test's significance level
    min_effect: float = Field(0.3, alias="min-effect", ge=0, le=1)  # Cliff's delta
    tolerance: float = Field(0.1, ge=0)  # relative change of the value that matters
    min_samples: int = Field(5, alias="min-samples", ge=2)
    # failing intervals allowed before the abort (default: the analysis's failure-limit)
    failure_limit: int | None = Field(None, alias="failure-limit", ge=0)

    @field_validator("success")
    @classmethod
    def _success(cls, value: str | None) -> str | None:
        if value is not None:
            condition(value)
        return value

    @model_validator(mode="after")
    def _complete(self) -> Metric:
        traffic = self.source in ("traffic", "router", "cloudwatch")
        if traffic and (not self.metric or not TRAFFIC_METRICS.match(self.metric)):
            raise ValueError(
                f"metric {self.name!r}: source {self.source} needs metric: error-rate, "
                "request-rate or latency-pNN (e.g. latency-p95)"
            )
        if self.source == "prometheus" and not self.query:
            raise ValueError(f"metric {self.name!r}: source prometheus needs a query (PromQL)")
        if self.source == "command" and not self.command:
            raise ValueError(f"metric {self.name!r}: source command needs a command")
        if self.success is None and not self.baseline:
            raise ValueError(
                f"metric {self.name!r}: say how it is judged: success: '< 0.01' (a threshold) "
                "and/or baseline: true (against the stable version)"
            )
        return self


class Analysis(_Strict):
    metrics: list[Metric] = Field(min_length=1)
    interval: Duration = 60.0
    count: int = Field(3, ge=1)  # intervals of an analysis step
    failure_limit: int = Field(0, alias="failure-limit", ge=0)  # failures allowed
    inconclusive_limit: int = Field(0, alias="inconclusive-limit", ge=0)
    buckets: int = Field(10, ge=1, le=1000)  # samples per interval (traffic rates)
    prometheus: str | None = None  # the Prometheus server's URL
    background: bool = True  # also analyse every interval during pauses
    warmup: Duration = 0.0  # not judged after each step starts (a new version's cold start)
    # what each judgement looks at: the last interval, or everything since the step's
    # analysis began (Kayenta's default: transient noise is diluted, a lasting
    # difference gathers evidence)
    window: Literal["interval", "cumulative"] = "interval"


class Step(_Strict):
    weight: float | None = Field(None, ge=0, le=100)
    pause: Duration | None = None
    indefinite: bool = False  # pause until promoted
    analysis: dict[str, Any] | None = None  # overrides of the analysis (e.g. count)

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"a step is a mapping (weight:, pause: or analysis:), not {data!r}")
        data = dict(data)
        pause = data.get("pause")
        if (
            pause is True
            or pause == {}
            or (isinstance(pause, str) and pause.strip().lower() in INDEFINITE)
        ):
            data["pause"], data["indefinite"] = None, True
        elif isinstance(pause, dict) and "duration" in pause:
            data["pause"] = pause["duration"]
        if data.get("analysis") is True:
            data["analysis"] = {}
        if sum(k in data for k in ("weight", "analysis")) + ("pause" in data) != 1:
            raise ValueError(f"a step is one of weight:, pause: or analysis:, not {sorted(data)}")
        return data


class CanaryPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    steps: list[Step]
    analysis: Analysis | None = None
    pin: Pin | None = None
    time_scale: float = 1.0

    def seconds(self, value: float) -> float:
        return value * self.time_scale

    def step_analysis(self, step: Step) -> Analysis:
        """The analysis an ``analysis:`` step runs: the plan's, with the step's keys."""
        if self.analysis is None:
            raise PlanError("an analysis: step needs the deploy step's analysis: input")
        merged = {**self.analysis.model_dump(by_alias=True), **(step.analysis or {})}
        return Analysis.model_validate(merged)

    def describe(self) -> list[dict[str, Any]]:
        """The steps as stored with the canary (and shown by ``conveyor canary status``)."""
        out: list[dict[str, Any]] = []
        for step in self.steps:
            if step.weight is not None:
                out.append({"weight": step.weight})
            elif step.indefinite:
                out.append({"pause": "until promoted"})
            elif step.pause is not None:
                out.append({"pause": self.seconds(step.pause)})
            else:
                out.append({"analysis": step.analysis or {}})
        return out


def preset(name: str) -> list[dict[str, Any]]:
    """The steps of a CodeDeploy deployment configuration's name."""
    if name == "AllAtOnce":
        return [{"weight": 100}]
    found = _CANARY.match(name)
    if found:
        share, minutes = int(found.group(1)), int(found.group(2))
        return [{"weight": share}, {"pause": minutes * 60}, {"weight": 100}]
    found = _LINEAR.match(name)
    if found:
        share, minutes = int(found.group(1)), int(found.group(2))
        if not 0 < share <= 100:
            raise PlanError(f"preset {name}: the percentage must be from 1 to 100")
        steps: list[dict[str, Any]] = []
        weight = share
        while weight < 100:
            steps += [{"weight": weight}, {"pause": minutes * 60}]
            weight += share
        return [*steps, {"weight": 100}]
    raise PlanError(
        f"unknown preset {name!r}: use CanaryNPercentMMinutes (e.g. Canary10Percent5Minutes), "
        "LinearNPercentEveryMMinutes (e.g. Linear10PercentEvery1Minute) or AllAtOnce"
    )


def parse_pin(text: str) -> Pin | None:
    """``header X-User`` or ``cookie session`` (empty: none)."""
    words = text.split()
    if not words:
        return None
    if len(words) == 2 and words[0] in ("header", "cookie"):
        return Pin(header=words[1]) if words[0] == "header" else Pin(cookie=words[1])
    raise PlanError(f"pin: {text!r}: write 'header X-User' or 'cookie session'")


M = TypeVar("M", bound=BaseModel)


def _valid(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            ".".join([where, *(str(p) for p in e["loc"])])
            + ": "
            + str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise PlanError(problems) from exc


def make_plan(
    steps: Any, analysis: Any, *, pin: Pin | None = None, time_scale: float = 1.0
) -> CanaryPlan:
    """A plan from the parsed ``steps`` (a list, or a preset's name) and ``analysis``
    (a mapping or None); :class:`PlanError` saying what is wrong."""
    if isinstance(steps, str):
        steps = preset(steps.strip())
    if not isinstance(steps, list) or not steps:
        raise PlanError("steps: give a list of steps (weight:, pause:, analysis:) or a preset")
    if time_scale <= 0:
        raise PlanError("time-scale must be more than 0")
    parsed: list[Step] = []
    for number, step in enumerate(steps):
        parsed.append(_valid(Step, step, f"steps[{number}]"))
    plan = CanaryPlan(
        steps=parsed,
        analysis=None if analysis is None else _valid(Analysis, analysis, "analysis"),
        pin=pin,
        time_scale=time_scale,
    )
    for step in plan.steps:
        if step.analysis is not None:
            plan.step_analysis(step)
    return plan
