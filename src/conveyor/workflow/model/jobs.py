"""A job and the pieces it is made of: runner, strategy, container, environment."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from conveyor.workflow.model.common import (
    Env,
    Expr,
    IfValue,
    Model,
    Scalar,
    StrList,
    Text,
    as_list,
)
from conveyor.workflow.model.steps import Step

PermissionLevel = Literal["read", "write", "none"]


class Permissions(Model):
    """The ``GITHUB_TOKEN`` scopes of a workflow or job."""

    actions: PermissionLevel | None = None
    attestations: PermissionLevel | None = None
    checks: PermissionLevel | None = None
    contents: PermissionLevel | None = None
    deployments: PermissionLevel | None = None
    discussions: PermissionLevel | None = None
    id_token: PermissionLevel | None = Field(None, alias="id-token")
    issues: PermissionLevel | None = None
    models: PermissionLevel | None = None
    packages: PermissionLevel | None = None
    pages: PermissionLevel | None = None
    pull_requests: PermissionLevel | None = Field(None, alias="pull-requests")
    repository_projects: PermissionLevel | None = Field(None, alias="repository-projects")
    security_events: PermissionLevel | None = Field(None, alias="security-events")
    statuses: PermissionLevel | None = None


PermissionsValue = Literal["read-all", "write-all"] | Permissions


class Concurrency(Model):
    """``concurrency`` in mapping form."""

    group: Text
    cancel_in_progress: bool | Expr | None = Field(None, alias="cancel-in-progress")
    queue: str | int | None = None


ConcurrencyValue = Text | Concurrency


class DefaultsRun(Model):
    shell: str | None = None
    working_directory: str | None = Field(None, alias="working-directory")


class Defaults(Model):
    """``defaults``: only ``run`` exists."""

    run: DefaultsRun | None = None


class RunsOnGroup(Model):
    """``runs-on: {group, labels}``."""

    group: str | None = None
    labels: StrList | None = None


class Environment(Model):
    """``environment: {name, url}``."""

    name: str
    url: str | None = None


class Credentials(Model):
    username: str | None = None
    password: str | None = None


class Container(Model):
    """A job container or a service container."""

    image: str | None = None
    credentials: Credentials | None = None
    env: Env | None = None
    ports: list[int | str] | None = None
    volumes: list[str] | None = None
    options: str | None = None


class Matrix(Model):
    """``strategy.matrix``: vectors by name, plus ``include``/``exclude`` lists."""

    model_config = ConfigDict(extra="allow")

    include: list[dict[str, Any]] | Expr | None = None
    exclude: list[dict[str, Any]] | Expr | None = None

    __pydantic_extra__: dict[str, list[Any] | Expr]

    def vectors(self) -> dict[str, list[Any] | str]:
        """The named vectors (every key but include/exclude)."""
        return dict(self.__pydantic_extra__ or {})


class Strategy(Model):
    """``strategy``: the matrix (or one expression yielding it) and scheduling knobs."""

    matrix: Matrix | Expr | None = None
    fail_fast: bool | Expr | None = Field(None, alias="fail-fast")
    max_parallel: int | Expr | None = Field(None, alias="max-parallel")


class Job(Model):
    """A job: either runs ``steps`` on ``runs-on``, or calls a reusable workflow (``uses``)."""

    name: Text | None = None
    needs: StrList | None = None
    if_: IfValue | None = Field(None, alias="if")
    runs_on: str | list[str] | RunsOnGroup | None = Field(None, alias="runs-on")
    snapshot: str | dict[str, Any] | None = None
    environment: str | Environment | None = None
    outputs: dict[str, Scalar] | None = None
    env: Env | None = None
    defaults: Defaults | None = None
    permissions: PermissionsValue | None = None
    concurrency: ConcurrencyValue | None = None
    strategy: Strategy | None = None
    continue_on_error: bool | Expr | None = Field(None, alias="continue-on-error")
    timeout_minutes: int | float | Expr | None = Field(None, alias="timeout-minutes")
    container: str | Container | None = None
    services: dict[str, Container] | None = None
    steps: list[Step] | None = None
    uses: str | None = None
    with_: dict[str, Scalar] | None = Field(None, alias="with")
    secrets: Literal["inherit"] | dict[str, Scalar] | None = None

    def needs_list(self) -> list[str]:
        """``needs`` as a list, whatever its form."""
        return as_list(self.needs)

    @property
    def is_reusable_call(self) -> bool:
        return self.uses is not None


# Keys GitHub accepts on a job that calls a reusable workflow (``uses``).
REUSABLE_JOB_KEYS = frozenset(
    {"name", "uses", "with", "secrets", "needs", "if", "permissions", "strategy", "concurrency"}
)
