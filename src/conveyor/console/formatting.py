"""Small text helpers shared by the plain and the live console: durations, marks, labels."""

from __future__ import annotations

from dataclasses import dataclass

from conveyor.engine.events import Annotation, JobFinished, StepFinished
from conveyor.engine.status import Conclusion


@dataclass(frozen=True, slots=True)
class Marks:
    """The symbols the console prints; :data:`ASCII_MARKS` when the stream can't encode them."""

    start: str = "▶"
    ok: str = "✓"
    fail: str = "✗"
    neutral: str = "–"
    unknown: str = "?"
    rule: str = "─"
    bar: str = "│"  # between a line's prefix and its text in the live console


UNICODE_MARKS = Marks()
ASCII_MARKS = Marks(start=">", ok="+", fail="x", neutral="-", unknown="?", rule="-", bar="|")

FAILED = frozenset({Conclusion.FAILURE, Conclusion.TIMED_OUT})
NEUTRAL = frozenset({Conclusion.SKIPPED, Conclusion.CANCELLED, Conclusion.WAITING})

_VERBS: dict[Conclusion, str] = {
    Conclusion.SUCCESS: "succeeded",
    Conclusion.FAILURE: "failed",
    Conclusion.CANCELLED: "cancelled",
    Conclusion.SKIPPED: "skipped",
    Conclusion.TIMED_OUT: "timed out",
    Conclusion.INTERRUPTED: "interrupted",
    Conclusion.WAITING: "is waiting for a decision (conveyor pending; then conveyor resume)",
}


def marks_for(encoding: str | None) -> Marks:
    """Unicode marks if ``encoding`` can represent them, else ASCII ones."""
    probe = "".join((UNICODE_MARKS.start, UNICODE_MARKS.ok, UNICODE_MARKS.fail, UNICODE_MARKS.rule))
    try:
        probe.encode(encoding or "utf-8")
    except (LookupError, UnicodeEncodeError):
        return ASCII_MARKS
    return UNICODE_MARKS


def mark(conclusion: Conclusion | None, marks: Marks = UNICODE_MARKS) -> str:
    """✓ for success, ✗ for failure or timeout, – for skipped or cancelled, ? otherwise."""
    if conclusion is Conclusion.SUCCESS:
        return marks.ok
    if conclusion in FAILED:
        return marks.fail
    if conclusion in NEUTRAL:
        return marks.neutral
    return marks.unknown


def verb(conclusion: Conclusion | None) -> str:
    """``succeeded``, ``failed``, ...; ``did not finish`` for None."""
    return "did not finish" if conclusion is None else _VERBS[conclusion]


def duration(seconds: float | None) -> str:
    """``0.4s``, ``12.3s``, ``2m 05s``, ``1h 02m``; empty for None."""
    if seconds is None:
        return ""
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def location(file: str | None, line: int | None, col: int | None) -> str:
    """``file:line:col`` with the parts that are known."""
    if not file:
        return ""
    text = file
    if line is not None:
        text += f":{line}"
        if col is not None:
            text += f":{col}"
    return text


def one_line(text: str) -> str:
    """Drop a trailing newline / carriage return from a log line."""
    return text.rstrip("\r\n")


def failure_reason(step: StepFinished) -> str:
    """Why a step failed, shortest first: ``exit 1``; else the engine's note
    (``timed out after 5m``); else the outcome (``failed``)."""
    if step.exit_code is not None and step.outcome is not Conclusion.TIMED_OUT:
        return f"exit {step.exit_code}"
    return step.note or verb(step.outcome)


def step_detail(event: StepFinished) -> str:
    """What follows a finished step's name: ``(1.2s)``, ``(exit 1)``, ``(skipped)``."""
    if event.outcome is Conclusion.SUCCESS:
        return f"({duration(event.ended_at - event.started_at)})"
    if event.outcome in (Conclusion.SKIPPED, Conclusion.CANCELLED):
        why = event.outcome.value
    else:
        why = failure_reason(event)
    if event.conclusion is Conclusion.SUCCESS:
        why += "; continue-on-error"
    return f"({why})"


def step_line(event: StepFinished, marks: Marks) -> str:
    """``✓ Run tests (1.2s)``: a finished step, as both consoles print it."""
    return f"{mark(event.outcome, marks)} {event.step_name} {step_detail(event)}"


def job_line(event: JobFinished, seconds: float | None, marks: Marks) -> str:
    """``✗ job failed (3.4s): note``: a finished job, as both consoles print it."""
    note = f": {event.note}" if event.note else ""
    return (
        f"{mark(event.conclusion, marks)} job {verb(event.conclusion)} ({duration(seconds)}){note}"
    )


def annotation_line(event: Annotation) -> str:
    """``error file:1:2: title: message``: an annotation, as both consoles print it."""
    where = location(event.file, event.line, event.col)
    title = f"{event.title}: " if event.title else ""
    return f"{event.level}{' ' + where if where else ''}: {title}{one_line(event.message)}"
