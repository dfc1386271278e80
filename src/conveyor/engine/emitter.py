"""Fan events out to every sink, masking all text first (one place, so nothing leaks)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence

from conveyor.engine.events import Annotation, Event, JobFinished, LogLine, StepFinished
from conveyor.engine.masking import Masker
from conveyor.engine.ports import CommandAnnotation, EventSink


class Emitter:
    """Thread-safe: events of one job arrive in order; sinks see masked text only."""

    def __init__(self, sinks: Sequence[EventSink], masker: Masker) -> None:
        self._sinks = list(sinks)
        self._masker = masker
        self._lock = threading.Lock()

    @property
    def masker(self) -> Masker:
        return self._masker

    def emit(self, event: Event) -> None:
        event = self._mask(event)
        with self._lock:
            for sink in self._sinks:
                sink.emit(event)

    def _mask(self, event: Event) -> Event:
        m = self._masker.mask
        if isinstance(event, LogLine):
            return dataclasses.replace(event, text=m(event.text))
        if isinstance(event, Annotation):
            return dataclasses.replace(event, message=m(event.message))
        if isinstance(event, StepFinished):
            return dataclasses.replace(
                event,
                outputs={k: m(v) for k, v in event.outputs.items()},
                summary=m(event.summary),
                note=m(event.note),
            )
        if isinstance(event, JobFinished):
            return dataclasses.replace(
                event, outputs={k: m(v) for k, v in event.outputs.items()}, note=m(event.note)
            )
        return event


class StepLog:
    """A :class:`conveyor.engine.ports.StepOutput` that turns lines into events."""

    def __init__(self, emitter: Emitter, run_id: int, job_key: str, step_index: int | None):
        self._emitter = emitter
        self._run_id = run_id
        self._job_key = job_key
        self._step_index = step_index

    def line(self, text: str, stream: str = "stdout") -> None:
        self._emitter.emit(
            LogLine(self._run_id, self._job_key, self._step_index, text, time.time(), stream)
        )

    def annotation(self, annotation: CommandAnnotation) -> None:
        self._emitter.emit(
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
