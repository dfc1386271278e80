"""The plain console: one prefixed line per event, for pipes, files and CI logs.

Lines look like ``[job_key/step name] text``; step markers ``[job_key] ▶ step``,
``[job_key] ✓ step (1.2s)``, ``[job_key] ✗ step (exit 1)``. Every write happens under
one lock, so lines from concurrent jobs never interleave mid-line.
"""

from __future__ import annotations

import threading
from typing import TextIO

from conveyor.console.formatting import Marks, annotation_line, job_line, marks_for, step_line
from conveyor.console.summary import RunSummary, overall_line, summarise, summary_lines
from conveyor.console.tracking import RunTracker, line_prefix
from conveyor.engine.events import (
    GROUP_END,
    Annotation,
    Event,
    JobFinished,
    JobStarted,
    LogLine,
    RunFinished,
    RunParked,
    RunStarted,
    StepFinished,
    StepStarted,
)
from conveyor.engine.status import Conclusion


class PlainConsole:
    """An :class:`~conveyor.engine.ports.EventSink` writing prefixed lines to a text stream."""

    def __init__(self, stream: TextIO, *, marks: Marks | None = None) -> None:
        self._stream = stream
        self._marks = marks or marks_for(getattr(stream, "encoding", None))
        self._lock = threading.Lock()
        self._tracker = RunTracker()
        self._summaries: list[RunSummary] = []
        self._closed = False

    def emit(self, event: Event) -> None:
        if isinstance(event, RunParked):  # summarised like a finished run, as waiting
            event = RunFinished(event.run_id, Conclusion.WAITING, event.at, event.seq)
        with self._lock:
            if isinstance(event, LogLine):  # the hot path: no tracking, one write
                if event.stream == GROUP_END:
                    return
                prefix = self._prefix(event.run_id, event.job_key, event.step_index)
                self._write(f"[{prefix}] ", event.text)
                return
            self._tracker.apply(event)
            for line in self._lines(event):
                self._write(line)
            if isinstance(event, RunFinished):
                self._summarise(event.run_id)

    def close(self) -> None:
        """Summarise runs that never finished, and several runs' overall result."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for run_id, run in self._tracker.runs.items():
                if not run.summarised:
                    self._summarise(run_id)
            if len(self._summaries) > 1:
                self._write("")
                self._write(overall_line(self._summaries, self._marks))

    # ------------------------------------------------------------------ internals

    def _write(self, *parts: str) -> None:
        self._stream.write("".join(parts).rstrip("\r\n") + "\n")
        self._stream.flush()

    def _prefix(self, run_id: int, job_key: str, step_index: int | None) -> str:
        return line_prefix(self._tracker, run_id, job_key, step_index)

    def _summarise(self, run_id: int) -> None:
        run = self._tracker.run(run_id)
        run.summarised = True
        summary = summarise(run)
        self._summaries.append(summary)
        for line in summary_lines(summary, self._marks):
            self._write(line)

    def _lines(self, event: Event) -> list[str]:
        m = self._marks
        if isinstance(event, RunStarted):
            run = self._tracker.run(event.run_id)
            where = f"{event.event} on {event.ref}" if event.ref else event.event
            sha = f" @ {event.sha[:7]}" if event.sha else ""
            return [f"{m.start} {run.title} ({where}{sha}): {event.workflow_path}"]
        if isinstance(event, JobStarted):
            on = f" on {', '.join(event.runs_on)}" if event.runs_on else ""
            name = f" ({event.name})" if event.name and event.name != event.job_key else ""
            return [f"[{event.job_key}] job started{name}{on}"]
        if isinstance(event, StepStarted):
            return [f"[{event.job_key}] {m.start} {event.step_name}"]
        if isinstance(event, StepFinished):
            return [f"[{event.job_key}] {step_line(event, m)}"]
        if isinstance(event, Annotation):
            prefix = self._prefix(event.run_id, event.job_key, event.step_index)
            return [f"[{prefix}] {annotation_line(event)}"]
        if isinstance(event, JobFinished):
            seconds = self._tracker.job(event.run_id, event.job_key).seconds
            return [f"[{event.job_key}] {job_line(event, seconds, m)}"]
        return []
