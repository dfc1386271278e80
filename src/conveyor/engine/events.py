"""Events the engine emits while a run progresses: plain, serialisable data.

Sinks (the console, the store) receive them through the event bus. All text in events is
already masked. Times are POSIX timestamps (seconds, float). ``job_key`` identifies one
job instance: the job id plus its matrix values, e.g. ``test (3.12, ubuntu-latest)``;
nested (reusable-workflow) jobs use ``caller/callee``. ``seq`` orders every event of a
run; the bus of the process that orchestrates the run gives it out (0 until then).

:func:`encode_event`/:func:`decode_event` give one JSON object per event (tagged by
``kind``), which is how a job executed in another process sends them back.
"""

from __future__ import annotations

from typing import Any

import msgspec

from conveyor.engine.status import Conclusion


class _Event(msgspec.Struct, frozen=True, tag_field="kind"):
    pass


class RunStarted(_Event, frozen=True, tag="run_started"):
    run_id: int
    run_number: int
    workflow_path: str
    workflow_name: str
    event: str
    ref: str
    sha: str
    started_at: float
    pid: int = 0
    seq: int = 0


class JobStarted(_Event, frozen=True, tag="job_started"):
    run_id: int
    job_key: str
    job_id: str
    name: str
    matrix: dict[str, Any] = msgspec.field(default_factory=dict)
    runs_on: tuple[str, ...] = ()
    started_at: float = 0.0
    environment: str | None = None
    seq: int = 0
    needs: tuple[str, ...] = ()  # the job ids it waited for


class JobWaiting(_Event, frozen=True, tag="job_waiting"):
    """A job of a protected environment waits (for an approval or its wait timer);
    ``message`` says what and how to decide."""

    run_id: int
    job_key: str
    environment: str
    message: str
    at: float = 0.0
    seq: int = 0


class StepStarted(_Event, frozen=True, tag="step_started"):
    run_id: int
    job_key: str
    step_index: int  # 0-based; pre/post steps get their own indexes
    step_name: str
    started_at: float = 0.0
    seq: int = 0


GROUP_END = "group-end"  # the stream of the (empty) line a step's ``::endgroup::`` leaves


class LogLine(_Event, frozen=True, tag="log"):
    run_id: int
    job_key: str
    step_index: int | None  # None: a job-level line (e.g. "skipped: runs-on windows-latest")
    text: str
    at: float = 0.0
    stream: str = "stdout"
    seq: int = 0


class Annotation(_Event, frozen=True, tag="annotation"):
    run_id: int
    job_key: str
    step_index: int | None
    level: str  # error | warning | notice
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    title: str | None = None
    seq: int = 0


class StepFinished(_Event, frozen=True, tag="step_finished"):
    run_id: int
    job_key: str
    step_index: int
    step_name: str
    outcome: Conclusion  # before continue-on-error
    conclusion: Conclusion  # after continue-on-error
    exit_code: int | None
    started_at: float
    ended_at: float
    outputs: dict[str, str] = msgspec.field(default_factory=dict)
    summary: str = ""  # $GITHUB_STEP_SUMMARY content (markdown)
    note: str = ""  # e.g. "timed out after 1 minute"
    seq: int = 0


class JobFinished(_Event, frozen=True, tag="job_finished"):
    run_id: int
    job_key: str
    conclusion: Conclusion
    started_at: float
    ended_at: float
    outputs: dict[str, str] = msgspec.field(default_factory=dict)
    note: str = ""
    result: str = ""  # needs.<id>.result: success | failure | cancelled | skipped
    environment_url: str = ""
    seq: int = 0


class RunFinished(_Event, frozen=True, tag="run_finished"):
    run_id: int
    conclusion: Conclusion
    ended_at: float
    seq: int = 0


class RunParked(_Event, frozen=True, tag="run_parked"):
    """The run stopped with jobs waiting for a decision (``--no-wait``); it is continued
    by ``conveyor resume``. ``waiting`` lists what waits, one line each."""

    run_id: int
    at: float
    waiting: tuple[str, ...] = ()
    seq: int = 0


Event = (
    RunStarted
    | JobStarted
    | JobWaiting
    | StepStarted
    | LogLine
    | Annotation
    | StepFinished
    | JobFinished
    | RunFinished
    | RunParked
)

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Event)


def encode_event(event: Event) -> bytes:
    """One event as a JSON object (``kind`` names its type)."""
    return _ENCODER.encode(event)


def decode_event(data: bytes | str) -> Event:
    """The inverse of :func:`encode_event`; raises ``msgspec.ValidationError`` on bad input."""
    return _DECODER.decode(data)


def with_seq(event: Event, seq: int) -> Event:
    return msgspec.structs.replace(event, seq=seq)
