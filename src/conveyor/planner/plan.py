"""The plan: which workflows fire, and each job's needs, matrix, runners and steps.

Immutable, typed and serialisable (msgspec structs: ``encode_plan``/``decode_plan`` give a
JSON round-trip). Every workflow, job and step carries the file, line and column it came
from. Values that GitHub evaluates at run time (``if``, ``env``, ``with``, ``run``, ...)
are kept as written (templates); the engine evaluates them. ``matrix`` and ``runs_on``
are what the planner could resolve statically, for ``conveyor plan``: a job without a
matrix has ``matrix == []`` (it runs once); a job whose matrix is only known at run time
has ``matrix is None`` and ``dynamic_matrix`` set.

:meth:`Plan.to_json` gives the ``conveyor plan --format json`` document.
"""

from __future__ import annotations

from typing import Any

import msgspec

from conveyor.planner.graph import JobGraph, build_graph

PLAN_SCHEMA_VERSION = 1


class Source(msgspec.Struct, frozen=True):
    """Where something was written: a file (as loaded) and a 1-based line and column."""

    file: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class InputPlan(msgspec.Struct, frozen=True):
    """A declared input of an action, a dispatch or a called workflow."""

    type: str = "string"
    default: Any = None
    required: bool = False
    options: list[Any] | None = None


class ActionPlan(msgspec.Struct, frozen=True):
    """What a step's ``uses:`` resolved to, with its validated ``action.yml``.

    ``kind``: ``builtin`` (run in-process by name), ``composite``, ``node``, or ``docker``
    (fails when run). ``local_path`` is set for ``./`` actions: the executing job looks
    there in its workspace first, then in ``directory``.
    """

    uses: str
    kind: str
    directory: str = ""
    local_path: str = ""
    name: str = ""
    using: str = ""
    inputs: dict[str, InputPlan] = msgspec.field(default_factory=dict)
    outputs: dict[str, Any] = msgspec.field(default_factory=dict)
    main: str = ""
    pre: str = ""
    post: str = ""
    pre_if: str = ""
    post_if: str = ""
    steps: tuple[StepPlan, ...] = ()
    source: Source | None = None


class StepPlan(msgspec.Struct, frozen=True):
    """A step of a job or of a composite action. ``position`` is its index in its list;
    ``keys`` locates each key written in the step."""

    position: int
    source: Source
    id: str | None = None
    name: Any = None
    if_: Any = None
    run: Any = None
    shell: Any = None
    working_directory: Any = None
    uses: str | None = None
    with_: Any = None
    env: Any = None
    continue_on_error: Any = None
    timeout_minutes: Any = None
    action: ActionPlan | None = None
    keys: dict[str, Source] = msgspec.field(default_factory=dict)

    def where(self, key: str) -> Source:
        """Where ``key`` is written (the step itself when it is not)."""
        return self.keys.get(key, self.source)

    def display_name(self) -> str:
        """The name shown before the step's own ``name`` is evaluated (GitHub's defaults)."""
        if isinstance(self.name, str) and self.name:
            return self.name
        if self.run is not None:
            first = str(self.run).strip().splitlines()
            return f"Run {first[0] if first else ''}".strip()
        return f"Run {self.uses or ''}".strip()


class CallPlan(msgspec.Struct, frozen=True):
    """A job that calls a reusable workflow: ``with``/``secrets`` as written, and the
    called workflow compiled (None until the engine's compile step resolved it)."""

    uses: str
    with_: Any = None
    secrets: Any = None
    workflow: WorkflowPlan | None = None


class EnvironmentPlan(msgspec.Struct, frozen=True):
    """``jobs.<id>.environment``: a name (template) and an optional url (template)."""

    name: Any
    url: Any = None


class JobPlan(msgspec.Struct, frozen=True):
    """One job as planned.

    ``runs_on`` lists every label the job needs, over all its combinations (first
    seen first); ``runs_on_by_combination`` gives the labels of each combination,
    in ``matrix`` order (empty when the job has no matrix).
    """

    id: str
    name: str
    needs: tuple[str, ...]
    matrix: list[dict[str, Any]] | None
    runs_on: list[str]
    dynamic_matrix: bool = False
    matrix_reason: str = ""
    runs_on_by_combination: list[list[str]] = msgspec.field(default_factory=list)
    runner_group: str | None = None
    dynamic_runs_on: bool = False
    uses: str | None = None
    if_: str | None = None
    # -- as written, for the engine
    source: Source | None = None
    keys: dict[str, Source] = msgspec.field(default_factory=dict)
    name_template: Any = None
    condition: Any = None
    runs_on_template: Any = None
    strategy: Any = None
    env: Any = None
    defaults_run: dict[str, Any] = msgspec.field(default_factory=dict)
    outputs: Any = None
    concurrency: Any = None
    continue_on_error: Any = None
    timeout_minutes: Any = None
    container: Any = None
    services: Any = None
    environment: EnvironmentPlan | None = None
    steps: tuple[StepPlan, ...] = ()
    call: CallPlan | None = None

    def where(self, key: str) -> Source | None:
        """Where ``key`` is written (the job itself when it is not)."""
        return self.keys.get(key, self.source)

    @property
    def has_matrix(self) -> bool:
        return self.dynamic_matrix or bool(self.matrix)

    def combinations(self) -> list[dict[str, Any]]:
        """The matrix contexts the job runs with: ``[{}]`` for a job without a matrix."""
        return list(self.matrix) if self.matrix else [{}]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "needs": list(self.needs),
            "matrix": self.matrix,
            "runs_on": list(self.runs_on),
            "dynamic_matrix": self.dynamic_matrix,
        }
        if self.dynamic_matrix:
            data["matrix_reason"] = self.matrix_reason
        if self.runs_on_by_combination and any(
            labels != self.runs_on for labels in self.runs_on_by_combination
        ):
            data["runs_on_by_combination"] = self.runs_on_by_combination
        if self.runner_group is not None:
            data["runner_group"] = self.runner_group
        if self.dynamic_runs_on:
            data["dynamic_runs_on"] = True
        if self.uses is not None:
            data["uses"] = self.uses
        if self.if_ is not None:
            data["if"] = self.if_
        return data


class WorkflowPlan(msgspec.Struct, frozen=True):
    """A workflow: whether the event fires it (``reason`` says why not) and its jobs.

    ``jobs`` are in dependency order (empty when the workflow does not fire); ``file`` is
    the path it was loaded from, ``path`` the one shown (repository-relative when known).
    ``inputs``/``secrets``/``outputs`` are what the workflow declares for the event it
    runs for (``workflow_dispatch`` or ``workflow_call``).
    """

    path: str
    name: str
    fires: bool
    reason: str
    jobs: list[JobPlan]
    file: str = ""
    source: Source | None = None
    keys: dict[str, Source] = msgspec.field(default_factory=dict)
    run_name: Any = None
    env: Any = None
    defaults_run: dict[str, Any] = msgspec.field(default_factory=dict)
    concurrency: Any = None
    inputs: dict[str, InputPlan] = msgspec.field(default_factory=dict)
    secrets: dict[str, InputPlan] = msgspec.field(default_factory=dict)
    outputs: dict[str, Any] = msgspec.field(default_factory=dict)
    written_order: tuple[str, ...] = ()

    @property
    def graph(self) -> JobGraph:
        """The ``needs`` graph of the jobs, in the order they are written (checked when the
        plan was made)."""
        by_id = {job.id: job for job in self.jobs}
        order = [j for j in self.written_order if j in by_id] or list(by_id)
        return build_graph({j: list(by_id[j].needs) for j in order})

    def job(self, job_id: str) -> JobPlan:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "fires": self.fires,
            "reason": self.reason,
            "jobs": [job.to_json() for job in self.jobs],
        }


class Plan(msgspec.Struct, frozen=True):
    """Every workflow considered for one event, in the order given."""

    event: str
    workflows: list[WorkflowPlan]

    def firing(self) -> list[WorkflowPlan]:
        return [w for w in self.workflows if w.fires]

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "workflows": [w.to_json() for w in self.workflows]}


def encode_workflow(plan: WorkflowPlan) -> bytes:
    """A workflow plan as JSON (with its schema version)."""
    return msgspec.json.encode({"schema": PLAN_SCHEMA_VERSION, "workflow": plan})


def decode_workflow(data: bytes | str) -> WorkflowPlan:
    """The inverse of :func:`encode_workflow`; refuses another schema version."""
    envelope = msgspec.json.decode(data, type=_Envelope)
    if envelope.schema != PLAN_SCHEMA_VERSION:
        raise ValueError(
            f"plan schema {envelope.schema} is not {PLAN_SCHEMA_VERSION}; "
            "it was written by another conveyor version"
        )
    return envelope.workflow


class _Envelope(msgspec.Struct, frozen=True):
    schema: int
    workflow: WorkflowPlan
