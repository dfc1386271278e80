"""The end-of-run summary: a table of jobs, the step summaries, the verdict.

:func:`summarise` turns a :class:`RunRecord` into a :class:`RunSummary`; :func:`summary_lines`
renders it as plain text. The live console renders the same data with rich.
"""

from __future__ import annotations

from dataclasses import dataclass

from conveyor.console.formatting import (
    FAILED,
    NEUTRAL,
    UNICODE_MARKS,
    Marks,
    duration,
    failure_reason,
    mark,
    verb,
)
from conveyor.console.tracking import JobRecord, RunRecord
from conveyor.engine.status import Conclusion

COLUMNS = ("job", "conclusion", "duration", "steps", "failed step")


@dataclass(frozen=True, slots=True)
class JobRow:
    job_key: str
    conclusion: Conclusion | None
    duration: float | None
    steps: int
    failed_step: str  # "Run tests (exit 1)", a job note, or ""

    def cells(self, marks: Marks = UNICODE_MARKS) -> tuple[str, str, str, str, str]:
        status = self.conclusion.value if self.conclusion else "unfinished"
        return (
            self.job_key,
            f"{mark(self.conclusion, marks)} {status}",
            "" if self.conclusion is Conclusion.SKIPPED else duration(self.duration),
            str(self.steps),
            self.failed_step,
        )


@dataclass(frozen=True, slots=True)
class StepSummary:
    heading: str  # "job_key / step name"
    text: str  # markdown, shown as text


@dataclass(frozen=True, slots=True)
class RunSummary:
    title: str
    subtitle: str  # "push on refs/heads/main"
    rows: tuple[JobRow, ...]
    step_summaries: tuple[StepSummary, ...]
    conclusion: Conclusion | None
    duration: float | None

    @property
    def failed_jobs(self) -> int:
        return sum(1 for row in self.rows if row.conclusion in FAILED)

    def verdict(self, marks: Marks = UNICODE_MARKS) -> str:
        """``✓ CI #3 succeeded in 12.3s (4 jobs)``; failures name the failed jobs."""
        text = f"{mark(self.conclusion, marks)} {self.title} {verb(self.conclusion)}"
        if self.duration is not None:
            text += f" in {duration(self.duration)}"
        failed = [row.job_key for row in self.rows if row.conclusion in FAILED]
        if failed:
            return f"{text}: {len(failed)} of {len(self.rows)} jobs failed ({', '.join(failed)})"
        jobs = "job" if len(self.rows) == 1 else "jobs"
        return f"{text} ({len(self.rows)} {jobs})"


def _job_row(job: JobRecord) -> JobRow:
    done = job.finished
    failed = ""
    step = job.failed_step()
    if step is not None and step.finished is not None:
        failed = f"{step.name} ({failure_reason(step.finished)})"
    elif done is not None and done.conclusion in FAILED:
        failed = done.note
    elif done is None and job.current_step is not None:
        failed = f"{job.step_name(job.current_step)} (did not finish)"
    conclusion = done.conclusion if done else None
    return JobRow(job.key, conclusion, job.seconds, job.finished_steps, failed)


def summarise(run: RunRecord) -> RunSummary:
    jobs = run.ordered_jobs()
    summaries = [
        StepSummary(f"{job.key} / {job.steps[index].name}", text)
        for job in jobs
        for index in sorted(job.steps)
        if (finished := job.steps[index].finished) is not None
        and (text := finished.summary.strip())
    ]
    return RunSummary(
        title=run.title,
        subtitle=run.subtitle,
        rows=tuple(_job_row(job) for job in jobs),
        step_summaries=tuple(summaries),
        conclusion=run.conclusion,
        duration=run.duration,
    )


def summary_lines(summary: RunSummary, marks: Marks = UNICODE_MARKS) -> list[str]:
    """The summary as plain text lines (no trailing newlines)."""
    rule = marks.rule * 2
    heading = f"{summary.title} ({summary.subtitle})" if summary.subtitle else summary.title
    lines = ["", f"{rule} Summary: {heading} {rule}"]
    table = [COLUMNS, *(row.cells(marks) for row in summary.rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(COLUMNS))]
    for number, cells in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    for step in summary.step_summaries:
        lines.extend(["", f"{rule} Step summary: {step.heading} {rule}", *step.text.splitlines()])
    lines.extend(["", summary.verdict(marks)])
    return lines


def overall_line(summaries: list[RunSummary], marks: Marks = UNICODE_MARKS) -> str:
    """One line over several runs: ``✗ 3 runs: 2 succeeded, 1 failed``."""
    counts: dict[str, int] = {}
    for summary in summaries:
        counts[verb(summary.conclusion)] = counts.get(verb(summary.conclusion), 0) + 1
    worst = Conclusion.SUCCESS
    if any(s.conclusion not in (Conclusion.SUCCESS, *NEUTRAL) for s in summaries):
        worst = Conclusion.FAILURE
    elif any(s.conclusion is not Conclusion.SUCCESS for s in summaries):
        worst = Conclusion.CANCELLED
    parts = ", ".join(f"{count} {word}" for word, count in counts.items())
    return f"{mark(worst, marks)} {len(summaries)} runs: {parts}"
