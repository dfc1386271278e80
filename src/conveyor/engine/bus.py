"""The in-process event bus: masks every event's text, numbers it, and fans it out.

One place masks, so nothing leaks to any subscriber; one place numbers, so every event of
a run has its sequence number, whichever process or thread produced it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import msgspec

from conveyor.engine.events import (
    Annotation,
    Event,
    JobFinished,
    JobStarted,
    LogLine,
    StepFinished,
    StepStarted,
)
from conveyor.engine.masking import Masker
from conveyor.engine.ports import CommandAnnotation, EventSink

Publish = Callable[[Event], None]


def mask_event(event: Event, masker: Masker) -> Event:
    """``event`` with every text a secret could reach masked."""
    m = masker.mask
    replace = msgspec.structs.replace
    if isinstance(event, LogLine):
        return replace(event, text=m(event.text))
    if isinstance(event, Annotation):
        return replace(
            event,
            message=m(event.message),
            title=None if event.title is None else m(event.title),
            file=None if event.file is None else m(event.file),
        )
    if isinstance(event, StepStarted):
        return replace(event, step_name=m(event.step_name))
    if isinstance(event, StepFinished):
        return replace(
            event,
            step_name=m(event.step_name),
            outputs={k: m(v) for k, v in event.outputs.items()},
            summary=m(event.summary),
            note=m(event.note),
        )
    if isinstance(event, JobStarted):
        return replace(event, name=m(event.name))
    if isinstance(event, JobFinished):
        return replace(
            event,
            outputs={k: m(v) for k, v in event.outputs.items()},
            note=m(event.note),
            environment_url=m(event.environment_url),
        )
    return event


class LocalEventBus:
    """Thread-safe: events of one job arrive in order; subscribers see masked text only.

    ``first_seq`` maps a run id to the sequence number its next event gets (a resumed run
    continues where its earlier process stopped).
    """

    def __init__(self, sinks: Sequence[EventSink], masker: Masker) -> None:
        self._sinks = list(sinks)
        self._masker = masker
        self._lock = threading.Lock()
        self._seq: dict[int, int] = {}

    @property
    def masker(self) -> Masker:
        return self._masker

    def subscribe(self, sink: EventSink) -> None:
        with self._lock:
            self._sinks.append(sink)

    def start_sequence(self, run_id: int, first: int) -> None:
        with self._lock:
            self._seq[run_id] = max(first, self._seq.get(run_id, 1))

    def publish(self, event: Event) -> None:
        event = mask_event(event, self._masker)
        with self._lock:
            seq = self._seq.get(event.run_id, 1)
            self._seq[event.run_id] = seq + 1
            event = msgspec.structs.replace(event, seq=seq)
            for sink in self._sinks:
                sink.emit(event)


class StepLog:
    """A :class:`conveyor.engine.ports.StepOutput` that turns lines into events."""

    def __init__(self, publish: Publish, run_id: int, job_key: str, step_index: int | None):
        self._publish = publish
        self._run_id = run_id
        self._job_key = job_key
        self._step_index = step_index

    def line(self, text: str, stream: str = "stdout") -> None:
        self._publish(
            LogLine(self._run_id, self._job_key, self._step_index, text, time.time(), stream)
        )

    def annotation(self, annotation: CommandAnnotation) -> None:
        self._publish(
            Annotation(
                self._run_id,
                self._job_key,
                self._step_index,
                annotation.level,
                annotation.message,
                annotation.file,
                annotation.line,
                annotation.col,
                annotation.title,
            )
        )

    def warning(self, message: str) -> None:
        self.annotation(CommandAnnotation("warning", message))

    def error(self, message: str) -> None:
        self.annotation(CommandAnnotation("error", message))
