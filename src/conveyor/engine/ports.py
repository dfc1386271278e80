"""The interfaces the engine needs from the layers above it.

Implementations live in :mod:`conveyor.runners` (processes), :mod:`conveyor.store`
(history) and :mod:`conveyor.actions` (built-in and remote actions); the CLI wires
them together. Keeping these as protocols lets the engine stay free of I/O details.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from conveyor.engine.events import Event, LogLine
from conveyor.engine.masking import Masker
from conveyor.engine.wire import JobOutcome, JobRequest

if TYPE_CHECKING:
    from conveyor.workflow.loader import LoadedAction

# ---------------------------------------------------------------- events / history


class EventSink(Protocol):
    """Receives every event of a run, in order per job. Must be thread-safe."""

    def emit(self, event: Event) -> None: ...


class EventBus(Protocol):
    """Carries a run's events from whoever produces them to every subscriber.

    ``publish`` masks the event's text and gives it the run's next sequence number.
    In-process today (:class:`conveyor.engine.bus.LocalEventBus`); events are plain
    serialisable data, so PostgreSQL LISTEN/NOTIFY or Redis pub/sub can carry them.
    """

    def publish(self, event: Event) -> None: ...

    def subscribe(self, sink: EventSink) -> None: ...


class LogStore(Protocol):
    """Every log line of a run, with its job, step, sequence number, time and stream."""

    def lines(
        self,
        run_id: int,
        *,
        job_key: str | None = None,
        step_index: int | None = None,
        job_only: bool = False,
        after_seq: int = 0,
        limit: int | None = None,
        last: int | None = None,
    ) -> list[LogLine]:
        """Lines in sequence order: of a job, one of its steps or its own lines
        (``job_only``); ``after_seq`` for the ones not seen yet; the first ``limit`` or
        the ``last`` N."""
        ...


@dataclass(frozen=True, slots=True)
class NewRun:
    workflow_path: str
    workflow_name: str
    event: str
    ref: str
    sha: str
    repository: str  # github.repository (owner/name), for display
    pid: int
    repository_key: str  # the store's key: see conveyor.git.identity
    repository_url: str | None = None  # origin without credentials
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)  # unique across databases
    record: bytes = b""  # what a resume starts from (:mod:`conveyor.engine.durable`)
    lease_owner: str = ""
    lease_seconds: float = 30.0
    actor: str = ""  # github.actor: who started it (the payload's sender, else the repo's)


@dataclass(frozen=True, slots=True)
class ResumedRun:
    """A run taken over by this process: what it recorded, and the jobs it finished."""

    run_id: int
    run_number: int
    workflow_path: str
    workflow_name: str
    uid: str
    attempt: int
    record: bytes
    prior: Mapping[str, JobOutcome]  # by job key
    next_seq: int
    owner: str


class RunStore(EventSink, Protocol):
    """Persists runs. ``begin_run`` allocates the run id and the per-workflow run number and
    gives the run's lease to ``lease_owner``; :meth:`renew_lease` keeps it."""

    def begin_run(self, run: NewRun) -> tuple[int, int]:
        """Create the run row; returns ``(run_id, run_number)``."""
        ...

    def renew_lease(self, run_id: int, owner: str, seconds: float) -> bool:
        """Extend the run's lease; False when ``owner`` does not hold it any more."""
        ...


# ---------------------------------------------------------------- job executors


class JobExecutor(Protocol):
    """Runs one job instance described by a :class:`JobRequest`.

    Events the job produces go to ``publish`` in order; ``cancel`` asks the job to stop
    (steps are cancelled, post steps still run); ``stop`` means the run is being torn down
    (post steps are skipped too). Returns how it ended. Must be callable from several
    threads at once.
    """

    def execute(
        self,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> JobOutcome: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class GateQuery:
    """A job of ``environment`` about to start in run ``run_id``."""

    run_id: int
    job_key: str
    environment: str
    ref: str  # github.ref the run runs on
    sha: str
    actor: str  # who started the run (github.actor)


@dataclass(frozen=True, slots=True)
class GateDecision:
    """``proceed`` (with the environment's ``vars`` and ``secrets``: secret name -> the
    name of the run's secret holding it), ``wait`` (``message`` says for what and how to
    decide; ask again after ``retry_after`` seconds) or ``refuse`` (``message`` says
    which rule or who refused)."""

    verdict: str
    message: str = ""
    vars: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    retry_after: float = 2.0


class EnvironmentGate(Protocol):
    """Decides whether a job of an environment may start: protection rules, approvals,
    wait timers; and gives the environment's variables and secrets."""

    def admit(self, query: GateQuery) -> GateDecision: ...


class SecretSource(Protocol):
    """Where the executing process finds the run's secrets by name."""

    def get(self, name: str) -> str | None: ...


# ---------------------------------------------------------------- processes


@dataclass(frozen=True, slots=True)
class StepRequest:
    """One process to run for a step.

    Either ``script`` (with ``shell``: GitHub's shell names or a custom template
    containing ``{0}``; None means the job/workflow default, resolved by the engine to
    ``bash`` when available else ``sh``) or ``argv`` (e.g. ``node main.js``).
    """

    name: str
    working_directory: Path
    env: Mapping[str, str]
    script: str | None = None
    shell: str | None = None
    argv: Sequence[str] | None = None
    timeout_seconds: float | None = None
    temp_dir: Path | None = None  # where the runner puts script and $GITHUB_* files
    state: Mapping[str, str] = field(default_factory=dict)  # STATE_* env for post steps


@dataclass(slots=True)
class StepResult:
    """What a step process produced, after parsing file and workflow commands."""

    exit_code: int | None
    timed_out: bool = False
    cancelled: bool = False
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # from $GITHUB_ENV
    path: list[str] = field(default_factory=list)  # from $GITHUB_PATH, in order added
    state: dict[str, str] = field(default_factory=dict)  # from $GITHUB_STATE / save-state
    summary: str = ""  # $GITHUB_STEP_SUMMARY
    error: str = ""  # why it could not start (e.g. "shell 'pwsh' not found")

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.cancelled


@dataclass(frozen=True, slots=True)
class CommandAnnotation:
    level: str
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    title: str | None = None


class StepOutput(Protocol):
    """Where a running step's lines go (already masked by the runner)."""

    def line(self, text: str, stream: str = "stdout") -> None: ...

    def annotation(self, annotation: CommandAnnotation) -> None: ...


class StepRunner(Protocol):
    """Runs one step process: own process group, timeout, cancellation, file commands,
    workflow commands (``::add-mask::`` registers into ``masker``), masked output."""

    def run(
        self,
        request: StepRequest,
        output: StepOutput,
        masker: Masker,
        cancel: threading.Event,
    ) -> StepResult: ...


# ---------------------------------------------------------------- test reports of steps


@dataclass(frozen=True, slots=True)
class FinishedStep:
    """A top-level step that just finished, as :class:`StepReports` sees it."""

    run_id: int
    run_key: str
    job_key: str
    job_id: str
    job_name: str
    index: int
    name: str  # masked
    workspace: Path
    repository_root: Path
    state_dir: Path
    commit: str
    branch: str
    uploaded: tuple[Path, ...] = ()  # files it stored as artifacts
    before: object = None  # what :meth:`StepReports.before_step` saw (None: not scanned)


class StepReports(Protocol):
    """Finds the test reports a step wrote (``before_step`` / ``step_finished`` around a
    step that runs something) or uploaded, and ingests them into the run with the job and
    step; problems are warnings in the step's log, never a failed step."""

    def before_step(self, workspace: Path, repository_root: Path) -> object:
        """What the files that may be reports look like before the step (opaque), or None
        when nothing is looked for."""
        ...

    def step_finished(self, step: FinishedStep, output: StepOutput, masker: Masker) -> None: ...


# ---------------------------------------------------------------- actions


@dataclass(slots=True)
class ActionContext:
    """Everything a built-in action may use."""

    inputs: Mapping[str, str]
    workspace: Path
    repository_root: Path
    state_dir: Path  # the .conveyor directory (caches, artifacts, tools)
    env: Mapping[str, str]
    github: Mapping[str, Any]
    run_id: int
    job_key: str
    output: StepOutput
    masker: Masker
    cancel: threading.Event
    run_key: str = ""  # the run's folder name (conveyor.engine.runkeys); "": the plain id
    step_index: int | None = None  # the step's number in the job (None: not a job's step)

    @property
    def run_folder(self) -> str:
        """The name of this run's folders under the state directory."""
        return self.run_key or str(self.run_id)


@dataclass(slots=True)
class ActionResult:
    ok: bool = True
    message: str = ""  # why it failed, naming what to do
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    summary: str = ""  # markdown for the step summary, like $GITHUB_STEP_SUMMARY
    post: Callable[[ActionContext], ActionResult] | None = None  # runs after the job
    uploaded: list[Path] = field(default_factory=list)  # files stored as artifacts: the
    # engine offers them to :class:`StepReports` (test reports among them are ingested)


class BuiltinAction(Protocol):
    def __call__(self, context: ActionContext) -> ActionResult: ...


class BuiltinCheck(Protocol):
    """A built-in's check of a step before anything runs: its ``with:`` values as written
    (one holding ``${{ }}`` is not known yet), the job's environment name (when it is
    written without an expression), the repository root. Returns what is wrong (the
    compiler names the step)."""

    def __call__(
        self, inputs: Mapping[str, str], environment: str | None, repository_root: Path
    ) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class ResolvedAction:
    """Where ``uses:`` points.

    kind: ``builtin`` (``builtin`` set), ``composite`` / ``node`` / ``docker`` (``directory``
    holds action.yml), or ``workflow`` (``workflow_file`` is a reusable workflow).
    """

    uses: str
    kind: str
    builtin: BuiltinAction | None = None
    check: BuiltinCheck | None = None  # a built-in's check of its inputs, at compile time
    directory: Path | None = None
    workflow_file: Path | None = None
    metadata: LoadedAction | None = None  # its action.yml, loaded and validated once


class ActionProvider(Protocol):
    def resolve(self, uses: str, *, workspace: Path, repository_root: Path) -> ResolvedAction:
        """Find the action or reusable workflow; raises ``conveyor.errors.ActionError``
        naming the action when it cannot (e.g. offline with no cached copy)."""
        ...
