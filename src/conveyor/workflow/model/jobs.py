"""A job and the pieces it is made of: runner, strategy, container, environment."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from conveyor.workflow.model.common import (
    NN,
    Env,
    Expr,
    IfValue,
    Model,
    NonEmpty,
    Number,
    OptNonEmpty,
    Scalar,
    StrList,
    Text,
    as_list,
)
from conveyor.workflow.model.steps import Step

Level = Annotated[Literal["read", "write", "none"] | None, NN]
ReadLevel = Annotated[Literal["read", "none"] | None, NN]
WriteLevel = Annotated[Literal["write", "none"] | None, NN]


class Permissions(Model):
    """The ``GITHUB_TOKEN`` scopes of a workflow or job."""

    actions: Level = None
    artifact_metadata: Level = Field(None, alias="artifact-metadata")
    attestations: Level = None
    checks: Level = None
    code_quality: Level = Field(None, alias="code-quality")
    contents: Level = None
    copilot_requests: WriteLevel = Field(None, alias="copilot-requests")
    deployments: Level = None
    discussions: Level = None
    drives: Level = None
    id_token: WriteLevel = Field(None, alias="id-token")
    issues: Level = None
    models: ReadLevel = None
    packages: Level = None
    pages: Level = None
    pull_requests: Level = Field(None, alias="pull-requests")
    repository_projects: Level = Field(None, alias="repository-projects")
    security_events: Level = Field(None, alias="security-events")
    statuses: Level = None
    vulnerability_alerts: ReadLevel = Field(None, alias="vulnerability-alerts")


PermissionsValue = Literal["read-all", "write-all"] | Permissions


class Concurrency(Model):
    """``concurrency`` in mapping form."""

    group: NonEmpty
    cancel_in_progress: Annotated[bool | Expr | None, NN] = Field(None, alias="cancel-in-progress")
    queue: Annotated[Literal["single", "max"] | Expr | None, NN] = None


WorkflowConcurrency = Text | Concurrency
JobConcurrency = NonEmpty | Concurrency


class DefaultsRun(Model):
    shell: OptNonEmpty = None
    working_directory: OptNonEmpty = Field(None, alias="working-directory")


class Defaults(Model):
    """``defaults``: only ``run`` exists."""

    run: Annotated[DefaultsRun | Expr | None, NN] = None


class RunsOnGroup(Model):
    """``runs-on: {group, labels}``."""

    group: OptNonEmpty = None
    labels: Annotated[StrList | None, NN] = None


class Environment(Model):
    """``environment: {name, url, deployment}``."""

    name: Text | None  # required; GitHub reads an empty name as ""
    url: Text | None = None
    deployment: Annotated[bool | Expr | None, NN] = None


class Credentials(Model):
    username: OptNonEmpty = None
    password: OptNonEmpty = None


class Container(Model):
    """A job container (``image`` is required unless expressions build it: a check)."""

    image: OptNonEmpty = None
    credentials: Annotated[Credentials | Expr | None, NN] = None
    env: Annotated[Env | None, NN] = None
    ports: Annotated[list[NonEmpty] | Expr | None, NN] = None
    volumes: Annotated[list[NonEmpty] | Expr | None, NN] = None
    options: Text | None = None


class ServiceContainer(Container):
    """A service container: a job container plus ``entrypoint`` and ``command``."""

    entrypoint: Text | None = None
    command: Text | None = None


MatrixEntries = Annotated[list[dict[str, Any] | Expr] | Expr | None, NN]


class Matrix(Model):
    """``strategy.matrix``: vectors by name, plus ``include``/``exclude`` lists."""

    model_config = ConfigDict(extra="allow")

    include: MatrixEntries = None
    exclude: MatrixEntries = None

    __pydantic_extra__: dict[str, list[Any] | Expr]

    def vectors(self) -> dict[str, list[Any] | str]:
        """The named vectors (every key but include/exclude)."""
        return dict(self.__pydantic_extra__ or {})


class Strategy(Model):
    """``strategy``: the matrix (or one expression yielding it) and scheduling knobs."""

    matrix: Annotated[Matrix | Expr | None, NN] = None
    fail_fast: Annotated[bool | Expr | None, NN] = Field(None, alias="fail-fast")
    max_parallel: Annotated[Number | Expr | None, NN] = Field(None, alias="max-parallel")


class Snapshot(Model):
    """``snapshot`` in mapping form: the custom image to make from the runner."""

    image_name: NonEmpty = Field(alias="image-name")
    if_: Text | None = Field(None, alias="if")
    version: OptNonEmpty = None


class Job(Model):
    """A job: either runs ``steps`` on ``runs-on``, or calls a reusable workflow (``uses``).

    One model holds the keys of both kinds; ``checks/jobs.py`` refuses keys of the
    other kind, as GitHub's schema does."""

    name: Text | None = None
    needs: Annotated[StrList | None, NN] = None
    if_: IfValue | None = Field(None, alias="if")
    runs_on: Annotated[NonEmpty | list[NonEmpty] | RunsOnGroup | None, NN] = Field(
        None, alias="runs-on"
    )
    snapshot: Annotated[NonEmpty | Snapshot | None, NN] = None
    environment: Text | Environment | None = None
    outputs: Annotated[dict[str, Scalar] | None, NN] = None
    env: Annotated[Env | None, NN] = None
    defaults: Annotated[Defaults | None, NN] = None
    permissions: Annotated[PermissionsValue | None, NN] = None
    concurrency: Annotated[JobConcurrency | None, NN] = None
    strategy: Annotated[Strategy | Expr | None, NN] = None
    continue_on_error: Annotated[bool | Expr | None, NN] = Field(None, alias="continue-on-error")
    timeout_minutes: Annotated[Number | Expr | None, NN] = Field(None, alias="timeout-minutes")
    cancel_timeout_minutes: Annotated[Number | Expr | None, NN] = Field(
        None, alias="cancel-timeout-minutes"
    )
    container: Text | Container | None = None
    services: Annotated[dict[str, NonEmpty | ServiceContainer] | Expr | None, NN] = None
    steps: Annotated[list[Step] | None, NN] = None
    uses: OptNonEmpty = None
    with_: Annotated[dict[str, Scalar] | None, NN] = Field(None, alias="with")
    secrets: Annotated[Literal["inherit"] | dict[str, Scalar] | None, NN] = None

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
