"""Test reports that a workflow's steps write or upload, ingested into the run as they come.

The engine's :class:`~conveyor.engine.ports.StepReports`: before a step that runs
something (a ``run`` step, a composite or JavaScript action) the files of its workspace
that ``[ingest]`` globs select are noted; when it finishes, the ones it created or changed,
and every file it uploaded with ``actions/upload-artifact``, are offered. Which of them are
reports is decided by content (:mod:`conveyor.results.detect`), and each report is
ingested on its own by :func:`conveyor.results.ingest.ingest` (the one reader and writer
``conveyor ingest`` and ``conveyor/test@v1`` use) with the run, job and step, through the
run's masker. A report the run already ingested (same masked bytes: written by one step,
uploaded by the next, downloaded in another job) is not ingested again. A malformed or
truncated report is a warning on the step naming ``file:line:col``; nothing of it is
stored, and the step's outcome does not change.

The tier of a report's tests: ``[ingest.tiers]`` (a job id or name, or a pattern of one),
else per test the ``[tiers]`` whose ``marker`` expression its pytest markers satisfy (the
one with the highest ``order`` when several do), else the job's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

from conveyor.engine.masking import Masker
from conveyor.engine.ports import CommandAnnotation, FinishedStep, StepOutput
from conveyor.errors import ConveyorError, UserError
from conveyor.expressions.pathglob import PathPattern, compile_patterns, search_paths, selects
from conveyor.results.detect import report_kind
from conveyor.results.markers import matches
from conveyor.tiers.config import ConveyorConfig
from conveyor.tiers.configfile import load_config

if TYPE_CHECKING:  # the results store is imported when a step left a report
    from conveyor.results.db import ResultsDb
    from conveyor.results.model import TestCaseResult

# never walked: version control, dependencies and caches hold no results of the step
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "site-packages",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)
MAX_FILES = 20000  # candidate files noted per step at most (a runaway glob stays cheap)

Stamp = tuple[int, int, int]  # (mtime_ns, size, inode)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The candidate files of a workspace before a step, and the patterns that chose them."""

    patterns: tuple[PathPattern, ...]
    files: dict[str, Stamp]


def _stamp(info: os.stat_result) -> Stamp:
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _walk(root: Path, patterns: tuple[PathPattern, ...]) -> Iterator[tuple[str, Stamp]]:
    """The regular files below ``root`` that ``patterns`` select (posix paths) and their
    stamps, skipping :data:`SKIPPED_DIRS`; symlinks are not followed."""
    try:
        if root.is_file():
            if selects(patterns, root.as_posix()):
                yield root.as_posix(), _stamp(root.stat())
            return
    except OSError:
        return
    stack = [str(root)]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRS:
                        stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and selects(patterns, entry.path):
                    yield entry.path, _stamp(entry.stat(follow_symlinks=False))
            except OSError:
                continue


def candidates(patterns: tuple[PathPattern, ...]) -> dict[str, Stamp]:
    """The files ``patterns`` select, with their stamps."""
    found: dict[str, Stamp] = {}
    for root in search_paths(list(patterns)):
        for path, stamp in _walk(root, patterns):
            found.setdefault(path, stamp)
            if len(found) >= MAX_FILES:
                return found
    return found


def changed(before: Snapshot) -> list[Path]:
    """The candidate files created or changed since ``before``."""
    after = candidates(before.patterns)
    return [Path(p) for p, stamp in sorted(after.items()) if before.files.get(p) != stamp]


def job_tier(config: ConveyorConfig, *names: str) -> str | None:
    """The ``[ingest.tiers]`` tier of the first entry matching one of the job's ``names``
    (its id, key, name): exactly or as a pattern."""
    for pattern, tier in config.ingest.tiers.items():
        if any(name and (name == pattern or fnmatchcase(name, pattern)) for name in names):
            return tier
    return None


def marker_tiers(config: ConveyorConfig) -> list[tuple[str, str]]:
    """(tier, marker expression) of the tiers with a marker, highest ``order`` first."""
    chosen = [(n, t.marker, t.order) for n, t in config.tiers.items() if t.marker]
    chosen.sort(key=lambda item: (-item[2], item[0]))
    return [(name, marker) for name, marker, _order in chosen]


def tier_chooser(
    config: ConveyorConfig, step: FinishedStep
) -> tuple[str, Callable[[TestCaseResult], str] | None]:
    """The tier of the step's reports, or a function giving each test its tier."""
    mapped = job_tier(config, step.job_id, step.job_key, step.job_name)
    if mapped is not None:
        return mapped, None
    fallback = step.job_name or step.job_id
    tiers = marker_tiers(config)

    def tier_of(case: TestCaseResult) -> str:
        if case.markers:
            for name, marker in tiers:
                if matches(marker, case.markers):
                    return name
        return fallback

    return fallback, tier_of


def _shown(path: Path, workspace: Path) -> str:
    try:
        return path.relative_to(workspace).as_posix()
    except ValueError:
        return str(path)


class StepReportIngester:
    """:class:`~conveyor.engine.ports.StepReports` on the history database
    (``$CONVEYOR_DATABASE_URL``, else the state directory's)."""

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url
        self._configs: dict[Path, ConveyorConfig] = {}
        self._patterns: dict[tuple[Path, Path], tuple[PathPattern, ...]] = {}

    def config(self, repository_root: Path) -> ConveyorConfig:
        """``conveyor.toml`` of the repository, read once (as the run reads it once)."""
        config = self._configs.get(repository_root)
        if config is None:
            config = self._configs[repository_root] = load_config(start=repository_root).config
        return config

    def before_step(self, workspace: Path, repository_root: Path) -> object:
        try:
            config = self.config(repository_root)
        except ConveyorError:
            return None  # the run already said what is wrong with conveyor.toml
        if not config.ingest.enabled:
            return None
        patterns = self._patterns.get((repository_root, workspace))
        if patterns is None:
            patterns = tuple(compile_patterns(config.ingest.patterns(), workspace))
            self._patterns[(repository_root, workspace)] = patterns
        return Snapshot(patterns, candidates(patterns))

    def step_finished(self, step: FinishedStep, output: StepOutput, masker: Masker) -> None:
        try:
            config = self.config(step.repository_root)
        except ConveyorError as exc:
            output.annotation(CommandAnnotation("warning", f"test reports not looked at: {exc}"))
            return
        if not config.ingest.enabled:
            return
        offered = list(step.uploaded)
        if isinstance(step.before, Snapshot):
            offered.extend(changed(step.before))
        seen: set[Path] = set()
        reports: list[tuple[Path, str]] = []
        for path in offered:
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            kind = report_kind(path)
            if kind is not None:
                reports.append((path, kind))
        if not reports:
            return
        from conveyor.results.db import ResultsDb

        db = ResultsDb(step.state_dir, self.database_url)
        try:
            for path, _kind in reports:
                self._one(db, config, step, path, (output, masker))
        finally:
            db.close()

    def _one(
        self,
        db: ResultsDb,
        config: ConveyorConfig,
        step: FinishedStep,
        path: Path,
        sinks: tuple[StepOutput, Masker],
    ) -> None:
        from conveyor.results.ingest import IngestContext, ingest, ingested_digest
        from conveyor.results.keep import masked_digest

        output, masker = sinks
        shown = masker.mask(_shown(path, step.workspace))
        try:
            digest = masked_digest(path, masker)
        except OSError as exc:
            output.annotation(CommandAnnotation("warning", f"{shown}: cannot read: {exc}"))
            return
        if ingested_digest(db, step.run_id, digest):
            output.line(f"Test report {shown}: already ingested in this run")
            return
        tier, tier_of = tier_chooser(config, step)
        context = IngestContext(
            tier=tier,
            run_id=step.run_id,
            commit=step.commit,
            branch=step.branch or "main",
            job_key=step.job_key,
            step_index=step.index,
            step_name=step.name,
            digest=digest,
            tier_of=tier_of,
        )
        try:
            summary = ingest(db, [path], context, masker=masker)
        except UserError as exc:
            logged, annotation = _warning(str(exc), path, shown, masker)
            output.annotation(annotation)
            output.line(logged, "stderr")  # in the step's log too
            return
        counts = ", ".join(f"{n} {status}" for status, n in summary.by_status.items())
        output.line(
            f"Ingested test report {shown}: {summary.total} tests"
            + (f" ({counts})" if counts else "")
        )


def _warning(message: str, path: Path, shown: str, masker: Masker) -> tuple[str, CommandAnnotation]:
    """The step's log line and warning for a report that could not be read: ``file:line:col:
    why``, with the file as the step knows it (relative to its workspace); the annotation
    carries the position in its own fields."""
    found = re.match(re.escape(str(path)) + r"(?::(\d+):(\d+))?:?\s*(.*)", message, re.DOTALL)
    why = found.group(3) if found else message
    line = found.group(1) if found else None
    col = found.group(2) if found else None
    text = masker.mask(f"test report not ingested (nothing of it is stored): {why}")
    where = masker.mask(f"{shown}:{line}:{col}" if line else shown)
    annotation = CommandAnnotation(
        "warning",
        text,
        file=where.split(":", 1)[0] if line else where,
        line=int(line) if line else None,
        col=int(col) if col else None,
    )
    return f"Warning: {where}: {text}", annotation
