"""The models of ``conveyor.toml`` (or ``[tool.conveyor]`` in pyproject.toml).

``[tiers.<name>]`` (defaults: the five tiers of the test-tiers spec), ``[test]`` (how
pytest runs), ``[targets]`` (the stats targets), ``[notify]``
(:mod:`conveyor.reporting.settings`), and ``[environments.<name>]`` and
``[apps.<name>]`` (:mod:`conveyor.delivery.settings`). Unknown keys are errors.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from conveyor.delivery.settings import AppSettings, EnvironmentSettings, check_names
from conveyor.reporting.settings import NotifySettings, Seconds
from conveyor.results.targets import DurationTarget, Targets


def _fraction(value: object) -> object:
    """``0.95``, ``95``, ``"95%"`` -> 0.95."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return float(value.strip()[:-1]) / 100
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 1:
        return float(value) / 100
    return value


Fraction = Annotated[float, BeforeValidator(_fraction), Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _flaky_policy(value: object) -> object:
    """``"off"``/``false`` and ``"on"``/``true`` as short forms of the table."""
    if value in ("off", False):
        return {"detect": False}
    if value in ("on", True):
        return {}
    return value


class FlakyPolicy(_Strict):
    """How a tier's flaky tests are found and quarantined (``[tiers.<name>.flaky]``, or
    ``flaky = "off"`` for tiers that test live infrastructure, where a failure that goes
    away once the infrastructure is fixed is drift, not flakiness)."""

    detect: bool = True  # false: `conveyor flaky` neither lists nor quarantines them
    min_commits: int = Field(default=1, ge=1)  # flaky on this many commits before
    min_days: int = Field(default=1, ge=1)  # ... and on this many distinct days, before
    # `conveyor flaky --auto-quarantine` quarantines a test of this tier
    release_after: int = Field(default=3, ge=0)  # an auto-quarantined test failing every
    # attempt of this many consecutive runs leaves quarantine and fails the tier (0: never)


class TierConfig(_Strict):
    marker: str | None = None  # pytest -m expression
    paths: list[str] = Field(default_factory=list)
    order: int = 100
    timeout: Seconds | None = None
    description: str = ""
    # a tier that runs no tests: true: fine; false: it fails (exit 5, as pytest);
    # unset: it fails when asked for by name, or when no tier ran any test
    allow_empty: bool | None = None
    flaky: Annotated[FlakyPolicy, BeforeValidator(_flaky_policy)] = Field(
        default_factory=FlakyPolicy
    )

    @model_validator(mode="after")
    def _selects_something(self) -> TierConfig:
        if not self.marker and not self.paths:
            raise ValueError("a tier needs a 'marker' or 'paths'")
        return self


DEFAULT_TIERS: dict[str, dict[str, Any]] = {
    "unit": {"marker": "unit", "order": 0, "timeout": 300.0, "description": "pure, fast"},
    "mocked": {"marker": "mocked", "order": 1, "timeout": 300.0, "description": "mocked I/O"},
    "integration": {
        "marker": "integration",
        "order": 2,
        "timeout": 900.0,
        "description": "real services",
    },
    "smoke": {"marker": "smoke", "order": 3, "timeout": 600.0, "description": "deployed app"},
    "e2e": {"marker": "e2e", "order": 4, "timeout": 1800.0, "description": "whole flows"},
}


class TestSettings(_Strict):
    __test__ = False

    command: list[str] | None = None  # default: [sys.executable, "-m", "pytest"]
    args: list[str] = Field(default_factory=list)  # added to every pytest call
    retries: int = Field(default=0, ge=0, le=10)
    maxfail: int | None = Field(default=None, ge=1)
    cwd: str | None = None  # relative to the config file's directory


class TargetsConfig(_Strict):
    pr_validation: Seconds = 300.0
    full_check: Seconds = 900.0
    post_merge: Seconds = 1800.0
    nightly: Seconds = 7200.0
    success_rate: Fraction = 0.95
    flakiness: Fraction = 0.02

    def to_targets(self) -> Targets:
        """The :class:`conveyor.results.targets.Targets` these values mean."""
        patterns = {d.name: d.match for d in Targets().durations}
        chosen = (
            ("PR validation", self.pr_validation),
            ("full check", self.full_check),
            ("post-merge", self.post_merge),
            ("nightly", self.nightly),
        )
        return Targets(
            success_rate=self.success_rate,
            flakiness=self.flakiness,
            durations=tuple(
                DurationTarget(name, seconds, patterns.get(name, ())) for name, seconds in chosen
            ),
        )


DEFAULT_INGEST_GLOBS: tuple[str, ...] = (
    "**/*[Jj][Uu][Nn][Ii][Tt]*.xml",
    "**/*[Tt][Ee][Ss][Tt]*.xml",
    "**/*[Rr][Ee][Ss][Uu][Ll][Tt]*.xml",
    "**/*[Rr][Ee][Pp][Oo][Rr][Tt]*.xml",
    "**/*[Tt][Ee][Ss][Tt]*.json",
    "**/*[Rr][Ee][Ss][Uu][Ll][Tt]*.json",
    "**/*[Rr][Ee][Pp][Oo][Rr][Tt]*.json",
)
"""Files a step writes whose names say they may be test reports (JUnit's ``junit.xml``,
``TEST-*.xml``, ``report.xml``; pytest-json-report's ``.report.json``, ``*-results.json``).
Whether one is a report is decided by its content."""


class IngestSettings(_Strict):
    """``[ingest]``: test reports the steps of a workflow write or upload, found and
    ingested into the run with the job and step they came from."""

    enabled: bool = True
    # more files to look at after each step (upload-artifact's patterns, relative to the
    # workspace; ``!`` excludes); the defaults are :data:`DEFAULT_INGEST_GLOBS`
    globs: list[str] = Field(default_factory=list)
    default_globs: bool = True  # false: only ``globs`` (and uploaded files)
    # job id or name (or a pattern: * ? []) -> tier, first match wins
    tiers: dict[str, str] = Field(default_factory=dict)

    @field_validator("tiers")
    @classmethod
    def _tier_names(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern, tier in value.items():
            if not pattern.strip() or not tier.strip():
                raise ValueError("a job pattern and its tier must not be empty")
        return value

    def patterns(self) -> list[str]:
        """The globs looked at after a step: the defaults (unless turned off), then
        ``globs`` (so a ``!`` line there can exclude a default's files)."""
        return [*(DEFAULT_INGEST_GLOBS if self.default_globs else ()), *self.globs]


class ConveyorConfig(_Strict):
    tiers: dict[str, TierConfig] = Field(default_factory=dict)
    test: TestSettings = Field(default_factory=TestSettings)
    targets: TargetsConfig = Field(default_factory=TargetsConfig)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    environments: dict[str, EnvironmentSettings] = Field(default_factory=dict)
    apps: dict[str, AppSettings] = Field(default_factory=dict)
    teams: dict[str, list[str]] = Field(default_factory=dict)  # reviewers by team name
    ingest: IngestSettings = Field(default_factory=IngestSettings)

    @field_validator("environments", "apps")
    @classmethod
    def _delivery_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_names(value)

    @model_validator(mode="before")
    @classmethod
    def _merge_default_tiers(cls, data: Any) -> Any:
        """Tables in ``[tiers]`` add tiers or change fields of the default ones."""
        if not isinstance(data, dict):
            return data
        given = data.get("tiers", {})
        if not isinstance(given, dict):
            return data
        merged: dict[str, Any] = {k: dict(v) for k, v in DEFAULT_TIERS.items()}
        for name, table in given.items():
            if isinstance(table, dict) and name in merged:
                merged[name].update(table)
            else:
                merged[name] = table
        return {**data, "tiers": merged}

    def ordered(self, names: list[str] | None = None) -> list[tuple[str, TierConfig]]:
        """The tiers (all, or ``names``) by ``order`` then name; KeyError names unknown ones."""
        if names:
            missing = [n for n in names if n not in self.tiers]
            if missing:
                raise KeyError(", ".join(missing))
            chosen = {n: self.tiers[n] for n in names}
        else:
            chosen = dict(self.tiers)
        return sorted(chosen.items(), key=lambda item: (item[1].order, item[0]))
