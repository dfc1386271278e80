"""Status and conclusion values shared by the engine, the store and the console."""

from __future__ import annotations

from enum import StrEnum


class Conclusion(StrEnum):
    """How a run, job or step ended (GitHub's names)."""

    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    TIMED_OUT = "timed_out"  # reported as failure in contexts; kept for display
    INTERRUPTED = "interrupted"  # conveyor itself died; set by the store on recovery
    WAITING = "waiting"  # a job waits for an approval or a wait timer (run with --no-wait)


class RunState(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # parked until a decision; continued by `conveyor resume`
    COMPLETED = "completed"
