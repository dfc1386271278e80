"""What the console knows about runs in flight, built from engine events.

:class:`RunTracker` is not locked itself; each console applies events under its own lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conveyor.console.formatting import FAILED
from conveyor.engine.events import (
    Annotation,
    Event,
    JobFinished,
    JobStarted,
    LogLine,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from conveyor.engine.status import Conclusion


@dataclass(slots=True)
class StepRecord:
    index: int
    name: str
    started_at: float
    finished: StepFinished | None = None


@dataclass(slots=True)
class JobRecord:
    key: str
    name: str
    started_at: float
    seen_at: float = 0.0  # our clock when the job first showed up: drives the live timer
    runs_on: tuple[str, ...] = ()
    steps: dict[int, StepRecord] = field(default_factory=dict)
    current_step: int | None = None
    finished: JobFinished | None = None

    def step_name(self, index: int | None) -> str | None:
        if index is None:
            return None
        step = self.steps.get(index)
        return step.name if step else f"step {index + 1}"

    def failed_step(self) -> StepRecord | None:
        """The first step whose conclusion failed the job."""
        for index in sorted(self.steps):
            step = self.steps[index]
            if step.finished is not None and step.finished.conclusion in FAILED:
                return step
        return None

    @property
    def seconds(self) -> float | None:
        """How long the job took, once it finished."""
        done = self.finished
        return None if done is None else done.ended_at - (done.started_at or self.started_at)

    @property
    def finished_steps(self) -> int:
        return sum(1 for step in self.steps.values() if step.finished is not None)


@dataclass(slots=True)
class RunRecord:
    run_id: int
    started: RunStarted | None = None
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    finished: RunFinished | None = None
    summarised: bool = False
    seen_at: float = 0.0

    @property
    def title(self) -> str:
        if self.started is None:
            return f"run {self.run_id}"
        name = self.started.workflow_name or self.started.workflow_path
        return f"{name} #{self.started.run_number}"

    @property
    def subtitle(self) -> str:
        """``push on refs/heads/main``; empty until the run started, or without a ref."""
        started = self.started
        return f"{started.event} on {started.ref}" if started is not None and started.ref else ""

    @property
    def conclusion(self) -> Conclusion | None:
        return self.finished.conclusion if self.finished else None

    @property
    def duration(self) -> float | None:
        if self.finished is None:
            return None
        if self.started is not None:
            start = self.started.started_at
        else:
            start = min((job.started_at for job in self.jobs.values()), default=self.seen_at)
        return self.finished.ended_at - start

    def ordered_jobs(self) -> list[JobRecord]:
        return sorted(self.jobs.values(), key=lambda job: job.started_at)


class RunTracker:
    """Keeps runs, jobs and steps keyed by run id and job key."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.runs: dict[int, RunRecord] = {}

    def run(self, run_id: int) -> RunRecord:
        record = self.runs.get(run_id)
        if record is None:
            record = self.runs[run_id] = RunRecord(run_id, seen_at=self._clock())
        return record

    def job(self, run_id: int, job_key: str) -> JobRecord:
        run = self.run(run_id)
        record = run.jobs.get(job_key)
        if record is None:
            now = self._clock()
            record = run.jobs[job_key] = JobRecord(job_key, job_key, now, seen_at=now)
        return record

    def active_runs(self) -> list[RunRecord]:
        return [run for run in self.runs.values() if run.finished is None]

    def apply(self, event: Event) -> None:
        """Record ``event``; log lines and annotations change nothing."""
        if isinstance(event, LogLine | Annotation):
            return
        if isinstance(event, RunStarted):
            self.run(event.run_id).started = event
        elif isinstance(event, JobStarted):
            job = self.job(event.run_id, event.job_key)
            job.name = event.name or event.job_key
            job.runs_on = event.runs_on
            job.started_at = event.started_at or job.started_at
        elif isinstance(event, StepStarted):
            job = self.job(event.run_id, event.job_key)
            start = event.started_at or self._clock()
            job.steps[event.step_index] = StepRecord(event.step_index, event.step_name, start)
            job.current_step = event.step_index
        elif isinstance(event, StepFinished):
            job = self.job(event.run_id, event.job_key)
            step = job.steps.get(event.step_index)
            if step is None:
                step = StepRecord(event.step_index, event.step_name, event.started_at)
                job.steps[event.step_index] = step
            step.finished = event
            if job.current_step == event.step_index:
                job.current_step = None
        elif isinstance(event, JobFinished):
            job = self.job(event.run_id, event.job_key)
            job.finished = event
            job.current_step = None
            if event.started_at:
                job.started_at = min(job.started_at, event.started_at)
        elif isinstance(event, RunFinished):
            self.run(event.run_id).finished = event


def line_prefix(tracker: RunTracker, run_id: int, job_key: str, step_index: int | None) -> str:
    """``job_key/step name`` for a step's line, ``job_key`` for a job-level one.

    Looks records up without creating any: this runs once per log line.
    """
    if step_index is None:
        return job_key
    run = tracker.runs.get(run_id)
    job = run.jobs.get(job_key) if run else None
    name = job.step_name(step_index) if job else None
    return f"{job_key}/{name or f'step {step_index + 1}'}"
