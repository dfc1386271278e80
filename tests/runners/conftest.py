"""Helpers for the runner tests: an in-memory StepOutput and a ``run`` fixture."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conveyor.engine.masking import Masker
from conveyor.engine.ports import CommandAnnotation, StepRequest, StepResult
from conveyor.runners import LocalStepRunner


@dataclass
class Recorder:
    """A StepOutput that keeps everything in memory (thread-safe)."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    annotations: list[CommandAnnotation] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def line(self, text: str, stream: str = "stdout") -> None:
        with self.lock:
            self.lines.append((stream, text))

    def annotation(self, annotation: CommandAnnotation) -> None:
        with self.lock:
            self.annotations.append(annotation)

    def texts(self, stream: str | None = None) -> list[str]:
        return [t for s, t in self.lines if stream is None or s == stream]

    @property
    def out(self) -> str:
        return "\n".join(self.texts())


Run = Callable[..., tuple[StepResult, Recorder]]


@pytest.fixture
def runner() -> LocalStepRunner:
    return LocalStepRunner(kill_grace=1.0, orphan_grace=0.3)


@pytest.fixture
def run(tmp_path: Path, runner: LocalStepRunner) -> Run:
    work = tmp_path / "work"
    work.mkdir()

    def _run(
        script: str | None = None,
        *,
        shell: str | None = None,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float | None = None,
        state: Mapping[str, str] | None = None,
        masker: Masker | None = None,
        cancel: threading.Event | None = None,
        temp_dir: Path | None = None,
        **kwargs: Any,
    ) -> tuple[StepResult, Recorder]:
        recorder = Recorder()
        request = StepRequest(
            name="test step",
            working_directory=cwd or work,
            env=dict(env or {}),
            script=script,
            shell=shell,
            argv=argv,
            timeout_seconds=timeout,
            temp_dir=temp_dir,
            state=dict(state or {}),
        )
        result = runner.run(request, recorder, masker or Masker(), cancel or threading.Event())
        return result, recorder

    return _run


def _process_gone(pid: int, within: float = 3.0) -> bool:
    """True once ``pid`` no longer exists (or is only a zombie waiting to be reaped)."""
    deadline = time.monotonic() + within
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


@pytest.fixture
def process_gone() -> Callable[..., bool]:
    return _process_gone
