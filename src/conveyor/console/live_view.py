"""The live area of the rich console: one block per run in flight, one row per job.

The console builds an immutable :class:`ViewState` under its lock whenever a job or
step starts or finishes; rendering (on the refresh thread) reads only that snapshot,
so it never waits on the console's lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from conveyor.console.formatting import FAILED, UNICODE_MARKS, Marks, duration, mark
from conveyor.console.tracking import JobRecord, RunTracker
from conveyor.engine.status import Conclusion

STYLES: dict[Conclusion | None, str] = {
    Conclusion.SUCCESS: "green",
    Conclusion.FAILURE: "red",
    Conclusion.TIMED_OUT: "red",
    Conclusion.CANCELLED: "yellow",
    Conclusion.SKIPPED: "dim",
    Conclusion.INTERRUPTED: "magenta",
    Conclusion.WAITING: "cyan",
    None: "",
}


def conclusion_style(conclusion: Conclusion | None) -> str:
    return STYLES.get(conclusion, "")


@dataclass(frozen=True, slots=True)
class JobView:
    key: str
    step: str  # the current step, or the failed step once finished
    seen_at: float  # when the console saw the job start, for the running clock
    conclusion: Conclusion | None  # None while running
    seconds: float | None  # set once finished


@dataclass(frozen=True, slots=True)
class RunView:
    run_id: int
    title: str
    subtitle: str
    jobs: tuple[JobView, ...]


@dataclass(frozen=True, slots=True)
class ViewState:
    runs: tuple[RunView, ...] = ()


def _job_view(job: JobRecord) -> JobView:
    done = job.finished
    if done is None:
        current = job.steps.get(job.current_step) if job.current_step is not None else None
        return JobView(job.key, current.name if current else "", job.seen_at, None, None)
    failed = job.failed_step()
    step = failed.name if failed is not None and done.conclusion in FAILED else ""
    return JobView(job.key, step, job.seen_at, done.conclusion, job.seconds)


def snapshot(tracker: RunTracker) -> ViewState:
    """The live area's content: runs not yet finished, with all their jobs."""
    runs = []
    for run in tracker.active_runs():
        jobs = tuple(_job_view(job) for job in run.ordered_jobs())
        runs.append(RunView(run.run_id, run.title, run.subtitle, jobs))
    return ViewState(tuple(runs))


class LiveView:
    """Renders the current :class:`ViewState`; one spinner per running job."""

    def __init__(self, marks: Marks = UNICODE_MARKS, clock: Callable[[], float] = time.time):
        self.state = ViewState()
        self._marks = marks
        self._clock = clock
        self._spinners: dict[tuple[int, str], Spinner] = {}

    def _spinner(self, key: tuple[int, str]) -> Spinner:
        spinner = self._spinners.get(key)
        if spinner is None:
            spinner = self._spinners[key] = Spinner("dots", style="cyan")
        return spinner

    def render(self) -> RenderableType:
        state = self.state  # one read: the emitting thread swaps the whole snapshot
        now = self._clock()
        blocks: list[RenderableType] = []
        for run in state.runs:
            heading = Text(run.title, style="bold")
            if run.subtitle:
                heading.append(f"  {run.subtitle}", style="dim")
            table = Table.grid(padding=(0, 1))
            table.add_column(width=2)
            table.add_column(no_wrap=True)
            table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
            table.add_column(justify="right", no_wrap=True)
            for job in run.jobs:
                if job.conclusion is None:
                    sign: RenderableType = self._spinner((run.run_id, job.key))
                    step = Text(job.step, style="cyan")
                    clock = Text(duration(now - job.seen_at), style="dim")
                else:
                    style = conclusion_style(job.conclusion)
                    sign = Text(mark(job.conclusion, self._marks), style=style)
                    step = Text(f"failed at: {job.step}" if job.step else "", style=style)
                    clock = Text(duration(job.seconds), style="dim")
                table.add_row(sign, Text(job.key), step, clock)
            blocks.extend([heading, table])
        return Group(*blocks)
