"""The rich console: a live view of jobs and steps, with log lines scrolling above it.

Log lines are queued under a lock and written in batches by a ticker thread (about ten
times a second), so a chatty step costs one append per line, not one redraw per line.
Job and step changes swap an immutable snapshot the live view renders from.

Locks: ``_output`` orders everything written to the console and is taken before
``_lock``, which guards the tracker and the queue. The live view's render takes neither.
"""

from __future__ import annotations

import threading

from rich.console import Console
from rich.live import Live
from rich.text import Text

from conveyor.console.formatting import Marks, annotation_line, job_line, marks_for, step_line
from conveyor.console.live_view import LiveView, conclusion_style, snapshot
from conveyor.console.rich_summary import render_summary
from conveyor.console.scrollback import Queued, Scrollback
from conveyor.console.summary import RunSummary, overall_line, summarise
from conveyor.console.tracking import RunTracker, line_prefix
from conveyor.engine.events import (
    GROUP_END,
    Annotation,
    Event,
    JobFinished,
    LogLine,
    RunFinished,
    RunParked,
    StepFinished,
)
from conveyor.engine.status import Conclusion

PALETTE = ("cyan", "magenta", "blue", "green", "yellow", "bright_cyan", "bright_magenta")
LEVEL_STYLES = {"error": "bold red", "warning": "yellow", "notice": "blue"}


class LiveConsole:
    """An :class:`~conveyor.engine.ports.EventSink` drawing on a terminal with rich."""

    def __init__(
        self,
        console: Console,
        *,
        refresh_per_second: float = 10.0,
        marks: Marks | None = None,
    ) -> None:
        self._console = console
        self._marks = marks or marks_for(console.encoding)
        self._interval = 1.0 / refresh_per_second
        self._output = threading.RLock()
        self._lock = threading.Lock()
        self._tracker = RunTracker()
        self._view = LiveView(self._marks)
        self._live = Live(
            console=console,
            get_renderable=self._view.render,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._queue: list[Queued] = []
        self._colours: dict[str, str] = {}
        self._summaries: list[RunSummary] = []
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------------ EventSink

    def emit(self, event: Event) -> None:
        if isinstance(event, RunParked):  # summarised like a finished run, as waiting
            event = RunFinished(event.run_id, Conclusion.WAITING, event.at, event.seq)
        if isinstance(event, LogLine):  # the hot path: queue it, the ticker writes it
            if event.stream == GROUP_END:
                return
            with self._lock:
                prefix = line_prefix(self._tracker, event.run_id, event.job_key, event.step_index)
                self._queue.append(self._entry(event.job_key, prefix, event.text))
            if not self._live.is_started:
                self._start()
            return
        summary: RunSummary | None = None
        with self._output:
            with self._lock:
                self._tracker.apply(event)
                self._queue.extend(self._lines(event))
                self._view.state = snapshot(self._tracker)
                if isinstance(event, RunFinished):
                    summary = self._summarise(event.run_id)
                    idle = not self._tracker.active_runs()
            if summary is None:
                self._start()
                return
            self._flush()
            if idle:
                self._live.stop()
            self._console.print(render_summary(summary, self._marks))

    def close(self) -> None:
        """Stop the live view; summarise runs that never finished, and several runs overall."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._output:
            if self._closed:
                return
            self._closed = True
            self._flush()
            self._live.stop()
            with self._lock:
                late = [
                    self._summarise(run_id)
                    for run_id, run in self._tracker.runs.items()
                    if not run.summarised
                ]
            for summary in late:
                self._console.print(render_summary(summary, self._marks))
            if len(self._summaries) > 1:
                self._console.print()
                self._console.print(Text(overall_line(self._summaries, self._marks), style="bold"))

    # ------------------------------------------------------------------ internals

    def _start(self) -> None:
        with self._output:
            if self._closed:  # no live view and no ticker any more: write straight away
                self._flush()
                return
            if not self._live.is_started:
                self._live.start(refresh=True)
            if self._ticker is None:
                self._ticker = threading.Thread(
                    target=self._tick, name="conveyor-console", daemon=True
                )
                self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            with self._output, self._console:  # one write to the terminal per tick
                self._flush()
                if self._live.is_started:
                    self._live.refresh()

    def _flush(self) -> None:
        """Write queued lines in one print."""
        with self._lock:
            queued, self._queue = self._queue, []
        if not queued:
            return
        self._console.print(Scrollback(queued), end="", crop=False)  # the terminal wraps

    def _entry(self, job_key: str, prefix: str, text: str, style: str = "") -> Queued:
        """A queued line: ``prefix │ text``, the prefix in the job's colour."""
        return (f"{prefix} {self._marks.bar} ", self._colour(job_key), text, style)

    def _colour(self, job_key: str) -> str:
        colour = self._colours.get(job_key)
        if colour is None:
            colour = self._colours[job_key] = PALETTE[len(self._colours) % len(PALETTE)]
        return colour

    def _summarise(self, run_id: int) -> RunSummary:
        run = self._tracker.run(run_id)
        run.summarised = True
        summary = summarise(run)
        self._summaries.append(summary)
        return summary

    def _lines(self, event: Event) -> list[Queued]:
        if isinstance(event, StepFinished):
            style = conclusion_style(event.outcome) or "dim"
            text = step_line(event, self._marks)
            return [self._entry(event.job_key, event.job_key, text, style)]
        if isinstance(event, Annotation):
            prefix = line_prefix(self._tracker, event.run_id, event.job_key, event.step_index)
            style = LEVEL_STYLES.get(event.level, "")
            return [self._entry(event.job_key, prefix, annotation_line(event), style)]
        if isinstance(event, JobFinished):
            seconds = self._tracker.job(event.run_id, event.job_key).seconds
            text = job_line(event, seconds, self._marks)
            style = "bold " + (conclusion_style(event.conclusion) or "dim")
            if event.conclusion is Conclusion.SKIPPED:
                style = "dim"
            return [self._entry(event.job_key, event.job_key, text, style)]
        return []
