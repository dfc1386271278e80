"""Events the engine emits while a run progresses.

Sinks (the console, the store) receive them through :class:`conveyor.engine.ports.EventSink`.
All text in events is already masked. Times are POSIX timestamps (seconds, float).
``job_key`` identifies one job instance: the job id plus its matrix values, e.g.
``test (3.12, ubuntu-latest)``; nested (reusable-workflow) jobs use ``caller/callee``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conveyor.engine.status import Conclusion


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: int
    run_number: int
    workflow_path: str
    workflow_name: str
    event: str
    ref: str
    sha: str
    started_at: float
    pid: int = 0


@dataclass(frozen=True, slots=True)
class JobStarted:
    run_id: int
    job_key: str
    job_id: str
    name: str
    matrix: dict[str, Any] = field(default_factory=dict)
    runs_on: tuple[str, ...] = ()
    started_at: float = 0.0


@dataclass(frozen=True, slots=True)
class StepStarted:
    run_id: int
    job_key: str
    step_index: int  # 0-based; pre/post steps get their own indexes
    step_name: str
    started_at: float = 0.0


@dataclass(frozen=True, slots=True)
class LogLine:
    run_id: int
    job_key: str
    step_index: int | None  # None: a job-level line (e.g. "skipped: runs-on windows-latest")
    text: str
    at: float = 0.0
    stream: str = "stdout"


@dataclass(frozen=True, slots=True)
class Annotation:
    run_id: int
    job_key: str
    step_index: int | None
    level: str  # error | warning | notice
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class StepFinished:
    run_id: int
    job_key: str
    step_index: int
    step_name: str
    outcome: Conclusion  # before continue-on-error
    conclusion: Conclusion  # after continue-on-error
    exit_code: int | None
    started_at: float
    ended_at: float
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""  # $GITHUB_STEP_SUMMARY content (markdown)
    note: str = ""  # e.g. "timed out after 1 minute"


@dataclass(frozen=True, slots=True)
class JobFinished:
    run_id: int
    job_key: str
    conclusion: Conclusion
    started_at: float
    ended_at: float
    outputs: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True, slots=True)
class RunFinished:
    run_id: int
    conclusion: Conclusion
    ended_at: float


Event = (
    RunStarted
    | JobStarted
    | StepStarted
    | LogLine
    | Annotation
    | StepFinished
    | JobFinished
    | RunFinished
)
