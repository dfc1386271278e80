"""Log files of runs: ``logs/<run_id>/<job-key-sanitised>/<step_index>-<step-name>.log``
plus ``job.log`` for job-level lines. Paths are kept relative to the state directory.

Files stay open while their step runs and are line-buffered, so ``conveyor logs`` can
follow a running step. Not thread-safe by itself: :class:`SqlRunStore` serialises calls.

:func:`read_log` is the one way anything reads a log back (``conveyor logs``, reports):
the whole text in chunks, or its last lines. When ``conveyor gc`` removes a run's logs it
leaves ``logs/<run_id>.removed`` (:func:`mark_removed`), so readers can say so.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from conveyor.store.paths import JOB_LOG_NAME, LOGS_DIR_NAME, sanitize, step_log_name

TAIL_LINES = 20
_CHUNK = 1 << 16
_REMOVED_SUFFIX = ".removed"


@dataclass(frozen=True, slots=True)
class StoredLog:
    """A log as read back. ``found``: it exists (it may still be empty). ``removed_at``:
    when ``conveyor gc`` removed the run's logs (None: it did not)."""

    found: bool
    removed_at: float | None
    chunks: tuple[str, ...] | Iterator[str]

    @property
    def removed(self) -> bool:
        return not self.found and self.removed_at is not None

    def text(self) -> str:
        return "".join(self.chunks)


def _tombstone(state_dir: Path, run_id: int) -> Path:
    return state_dir / LOGS_DIR_NAME / f"{run_id}{_REMOVED_SUFFIX}"


def mark_removed(state_dir: Path, run_id: int, at: float | None = None) -> None:
    """Record that ``conveyor gc`` removed the logs of ``run_id``."""
    path = _tombstone(state_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"at": time.time() if at is None else at}) + "\n")


def removed_at(state_dir: Path, run_id: int) -> float | None:
    """When ``conveyor gc`` removed the logs of ``run_id``, if it did."""
    try:
        data = json.loads(_tombstone(state_dir, run_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    at = data.get("at") if isinstance(data, dict) else None
    return float(at) if isinstance(at, int | float) else None


def _whole(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        yield from iter(lambda: handle.read(_CHUNK), "")


def _last_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines, reading blocks from the end (flat memory for big logs)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        data = b""
        while end > 0 and data.count(b"\n") <= count:
            start = max(0, end - _CHUNK)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[-count:] if count else []


def read_log(
    state_dir: Path, run_id: int, log_path: Path | None, *, tail: int | None = None
) -> StoredLog:
    """The log at ``log_path`` (as the run's job/step rows name it) of run ``run_id``:
    all of it in chunks, or with ``tail`` only its last ``tail`` lines (one chunk)."""
    if log_path is None or not log_path.is_file():
        return StoredLog(False, removed_at(state_dir, run_id), ())
    try:
        if tail is not None:
            lines = _last_lines(log_path, tail)
            return StoredLog(True, None, ("\n".join(lines) + "\n",) if lines else ())
    except OSError:
        return StoredLog(False, removed_at(state_dir, run_id), ())
    return StoredLog(True, None, _whole(log_path))


_StepKey = tuple[int, str, int]
_FileKey = tuple[int, str, int | None]


class LogFiles:
    def __init__(self, state_dir: Path) -> None:
        self._state_dir = state_dir
        self._job_dirs: dict[tuple[int, str], str] = {}
        self._used_dirs: dict[int, set[str]] = {}
        self._step_files: dict[_StepKey, str] = {}
        self._handles: dict[_FileKey, TextIO] = {}

    def job_dir(self, run_id: int, job_key: str) -> str:
        """The job's log directory (relative); distinct job keys never share one."""
        key = (run_id, job_key)
        found = self._job_dirs.get(key)
        if found is not None:
            return found
        used = self._used_dirs.setdefault(run_id, set())
        base = sanitize(job_key, "job")
        name, counter = base, 1
        while name in used:
            counter += 1
            name = f"{base}-{counter}"
        used.add(name)
        rel = str(PurePosixPath(LOGS_DIR_NAME, str(run_id), name))
        self._job_dirs[key] = rel
        return rel

    def job_file(self, run_id: int, job_key: str) -> str:
        return str(PurePosixPath(self.job_dir(run_id, job_key), JOB_LOG_NAME))

    def step_file(self, run_id: int, job_key: str, step_index: int, step_name: str = "") -> str:
        """The step's log file (relative); fixed by the first call for that step."""
        key = (run_id, job_key, step_index)
        found = self._step_files.get(key)
        if found is None:
            name = step_log_name(step_index, step_name or "step")
            found = str(PurePosixPath(self.job_dir(run_id, job_key), name))
            self._step_files[key] = found
        return found

    def known_step_file(self, run_id: int, job_key: str, step_index: int) -> str | None:
        return self._step_files.get((run_id, job_key, step_index))

    def write(self, run_id: int, job_key: str, step_index: int | None, text: str) -> None:
        key = (run_id, job_key, step_index)
        handle = self._handles.get(key)
        if handle is None:
            if step_index is None:
                rel = self.job_file(run_id, job_key)
            else:
                rel = self.step_file(run_id, job_key, step_index)
            path = self._state_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a", encoding="utf-8", errors="replace", buffering=1)
            self._handles[key] = handle
        handle.write(text if text.endswith("\n") else text + "\n")

    def close_step(self, run_id: int, job_key: str, step_index: int) -> None:
        handle = self._handles.pop((run_id, job_key, step_index), None)
        if handle is not None:
            handle.close()

    def close_job(self, run_id: int, job_key: str) -> None:
        """Close the job's file and any of its step files still open."""
        for key in [k for k in self._handles if k[0] == run_id and k[1] == job_key]:
            self._handles.pop(key).close()

    def close_run(self, run_id: int) -> None:
        for key in [k for k in self._handles if k[0] == run_id]:
            self._handles.pop(key).close()
        self._step_files = {k: v for k, v in self._step_files.items() if k[0] != run_id}
        self._job_dirs = {k: v for k, v in self._job_dirs.items() if k[0] != run_id}
        self._used_dirs.pop(run_id, None)

    def close_all(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
