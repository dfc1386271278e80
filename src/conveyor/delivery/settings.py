"""``conveyor.toml`` settings of delivery: ``[environments.<name>]`` and ``[apps.<name>]``.

An environment's protection rules (reviewers, wait timer, where it may be deployed
from), its variables and secrets; an app's provider and that provider's settings. Loaded
with the rest of ``conveyor.toml`` (:mod:`conveyor.tiers.configfile`), so a bad key or
value is an error naming the file and line (exit 2).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from conveyor.filters import FilterPatternError, compile_filter

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _seconds(value: object) -> object:
    """``"10m"``, ``"90s"``, ``"1h"``, ``600`` -> seconds."""
    if isinstance(value, str):
        found = _DURATION.match(value)
        if not found:
            raise ValueError(f"'{value}' is not a duration; write e.g. 30s, 10m or 2h")
        return float(found.group(1)) * _UNITS[found.group(2)]
    return value


Duration = Annotated[float, BeforeValidator(_seconds), Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)


def _patterns(value: list[str], kind: Literal["branch", "tag"]) -> list[str]:
    for pattern in value:
        try:
            compile_filter(pattern, kind="ref")
        except FilterPatternError as exc:
            raise ValueError(f"{kind} pattern '{pattern}': {exc}") from exc
    return value


class DeployFrom(_Strict):
    """Where an environment may be deployed from: branch and tag patterns (GitHub's filter
    syntax), and ``on-branch``: a tag's commit must be on this branch (e.g. ``main``)."""

    branches: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    on_branch: str | None = Field(None, alias="on-branch")

    @field_validator("branches")
    @classmethod
    def _branch_patterns(cls, value: list[str]) -> list[str]:
        return _patterns(value, "branch")

    @field_validator("tags")
    @classmethod
    def _tag_patterns(cls, value: list[str]) -> list[str]:
        return _patterns(value, "tag")


class EnvironmentSettings(_Strict):
    """``[environments.<name>]``."""

    reviewers: list[str] = Field(default_factory=list)  # any one of them approves
    prevent_self_review: bool = Field(False, alias="prevent-self-review")
    wait_timer: Duration = Field(0.0, alias="wait-timer")
    deploy_from: DeployFrom | None = Field(None, alias="deploy-from")
    vars: dict[str, str] = Field(default_factory=dict)
    secrets_file: str | None = Field(None, alias="secrets-file")  # default: .secrets.<name>
    url: str | None = None

    @property
    def protected(self) -> bool:
        """Whether a job must wait or be checked before it starts."""
        return bool(self.reviewers) or self.wait_timer > 0 or self.deploy_from is not None


class AppSettings(_Strict):
    """``[apps.<name>]``: how the app is deployed. ``provider``: ``process`` (a local
    process per version behind conveyor's router), ``aws-lambda`` or ``static`` (a built
    site: TEST then APP); the rest are that
    provider's settings, checked by the provider (:mod:`conveyor.providers`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    provider: Literal["process", "aws-lambda", "static"]

    def options(self) -> dict[str, Any]:
        """The provider's own settings (every key but ``provider``), as written."""
        return dict(self.__pydantic_extra__ or {})


def check_names(value: dict[str, Any]) -> dict[str, Any]:
    """Environment and app names: letters, digits, ``.``, ``_`` and ``-``."""
    for name in value:
        if not NAME.match(name):
            raise ValueError(f"'{name}' is not a name: use letters, digits, '.', '_', '-'")
    return value
