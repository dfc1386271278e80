"""What every check gets: the document, where to report, and walkers over raw data.

Checks read the loaded YAML data (not the model) so they still run -- and every
problem is reported -- when the model could not be built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from conveyor.diagnostics import Diagnostic, Severity
from conveyor.workflow.yamlload import Document, Path


@dataclass
class CheckContext:
    doc: Document
    is_action: bool = False
    root: str | None = None  # repository root, for local ``uses: ./path`` references
    out: list[Diagnostic] = field(default_factory=list)

    @property
    def data(self) -> Any:
        return self.doc.data

    def error(self, path: Path, message: str, rule: str, *, at_key: bool = False) -> None:
        self.out.append(self.doc.diag(path, message, rule, at_key=at_key))

    def error_at(self, line: int, col: int, message: str, rule: str) -> None:
        self.out.append(Diagnostic(self.doc.path, line, col, message, rule))

    def warning(self, path: Path, message: str, rule: str, *, at_key: bool = False) -> None:
        d = self.doc.diag(path, message, rule, at_key=at_key)
        self.out.append(replace(d, severity=Severity.WARNING))

    def jobs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every job mapping by id."""
        jobs = get(self.data, ("jobs",))
        if isinstance(jobs, dict):
            for job_id, job in jobs.items():
                if isinstance(job, dict):
                    yield job_id, job

    def steps(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Every step mapping with its path (job steps, or a composite action's steps)."""
        if self.is_action:
            steps = get(self.data, ("runs", "steps"))
            yield from _steps_of(("runs", "steps"), steps)
            return
        for job_id, job in self.jobs():
            yield from _steps_of(("jobs", job_id, "steps"), job.get("steps"))


def _steps_of(base: Path, steps: Any) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Steps in order; the steps of a ``parallel:`` group follow the group itself."""
    if isinstance(steps, list):
        for i, step in enumerate(steps):
            if isinstance(step, dict):
                yield (*base, i), step
                yield from _steps_of((*base, i, "parallel"), step.get("parallel"))


def get(data: Any, path: Path) -> Any:
    """The value at ``path`` in plain data, or None."""
    cur = data
    for el in path:
        if isinstance(cur, dict) and isinstance(el, str):
            cur = cur.get(el)
        elif isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur):
            cur = cur[el]
        else:
            return None
    return cur


def str_items(value: Any) -> list[tuple[int | None, str]]:
    """``str | list[str]`` as (index or None, text) pairs, skipping non-strings."""
    if isinstance(value, str):
        return [(None, value)]
    if isinstance(value, list):
        return [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
    return []
