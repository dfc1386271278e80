"""``conveyor gc --older-than 30d``: free disk and database space, keep the history.

Removed for runs created before the cutoff (finished runs only): their log lines (the
run records when: ``conveyor logs`` then says so), ``work/<run>`` (workspaces),
``artifacts/runs/<run>`` (manifests) and ``results/<run>`` (JUnit files), where
``<run>`` is the run's folder key (:mod:`conveyor.engine.runkeys`), pruning the git
worktrees a removed workspace held from their repository; then artifact blobs no
remaining manifest uses (of runs, and of the published builds kept); then test-result
rows recorded before the cutoff, and the report copies their ingests kept. Kept: run,
job and step rows, ingest rows, and per-tier counts of every run
(``results/summaries``). Folders named by a plain run id (older conveyors,
``logs/<run>`` too) that name no run of this database go when their files are all older
than the cutoff; a keyed folder of no run of this database belongs to another database
sharing the state directory and is left alone.

Published builds (``conveyor/publish@v1``: a ``build_artifacts`` row and its manifest
``artifacts/builds/<app>/<version>.json``) created before the cutoff go too, except
those live in an environment, those of each environment's ``keep_builds`` newest
deployments (what a rollback or a promotion may still need) and each app's
``keep_builds`` newest builds. Deployments of a removed build keep its version and digest.

gc only ever removes what conveyor wrote inside its state directory: a path outside it
(an ingest row of an older conveyor naming the user's own file, a symlink leading out)
is left alone.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update

from conveyor.engine.runkeys import parse_run_key, run_key
from conveyor.engine.status import RunState
from conveyor.git.worktrees import common_git_dir, linked_worktrees, prune
from conveyor.reporting import aggregates
from conveyor.results.keep import RESULTS_DIR, RUNLESS_DIR, inside
from conveyor.store.deliveries import LIVE
from conveyor.store.delivery_models import BuildArtifactRow, DeploymentRow
from conveyor.store.models import LogLineRow, RunRow
from conveyor.store.results_models import INGESTS, RESULTS

RUN_DIRS = ("logs", "work", "artifacts/runs", "results")
_DONE = RunState.COMPLETED.value


@dataclass(slots=True)
class GcReport:
    removed: list[tuple[str, int]] = field(default_factory=list)  # (path, bytes)
    result_rows: int = 0
    builds: list[str] = field(default_factory=list)  # app@version of the builds removed
    log_lines: int = 0
    runs_kept: int = 0

    @property
    def bytes_freed(self) -> int:
        return sum(size for _path, size in self.removed)


def _size(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def _newest(path: Path) -> float:
    times = [path.lstat().st_mtime]
    if path.is_dir():
        times.extend(p.lstat().st_mtime for p in path.rglob("*"))
    return max(times)


def _remove(path: Path, report: GcReport, dry_run: bool, state_dir: Path) -> None:
    if not (path.exists() or path.is_symlink()):
        return
    if not inside(path.parent, state_dir):
        return  # only what conveyor wrote inside its state directory
    report.removed.append((str(path), _size(path)))
    if dry_run:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _is_old(child: Path, runs: dict[int, tuple[str, float, str]], cutoff: float) -> bool | None:
    """Whether the run folder ``child`` goes: True/False for a folder of one of this
    database's runs (old and finished) or a plain run id of an older conveyor that names no
    run of this database (all its files older than ``cutoff``); None to leave it alone (not
    a run's folder, or another database's run sharing the state directory)."""
    parsed = parse_run_key(child.name)
    if parsed is None:
        return None
    run_id, prefix = parsed
    known = runs.get(run_id)
    if known is not None and run_key(run_id, known[0]) == child.name:
        _uid, created, status = known
        return created < cutoff and status == _DONE
    if prefix:
        return None
    return child.is_dir() and _newest(child) < cutoff


def _run_dirs(
    state_dir: Path, connection: Connection, cutoff: float, report: GcReport, dry_run: bool
) -> None:
    runs = {
        int(r.id): (str(r.uid or ""), float(r.created_at), str(r.status))
        for r in connection.execute(select(RunRow.id, RunRow.uid, RunRow.created_at, RunRow.status))
    }
    report.runs_kept = len(runs)
    for name in RUN_DIRS:
        root = state_dir / name
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            if _is_old(child, runs, cutoff):
                held = linked_worktrees(child) if name == "work" else []
                repositories = {common_git_dir(w) for w in held}
                _remove(child, report, dry_run, state_dir)
                for common in sorted(r for r in repositories if r is not None):
                    if not dry_run:
                        prune(common)


def _log_lines(writer: Engine, cutoff: float, report: GcReport, dry_run: bool) -> None:
    """Delete the log lines of finished runs created before ``cutoff``; note when."""
    old = select(RunRow.id).where(
        RunRow.created_at < cutoff, RunRow.status == _DONE, RunRow.logs_removed_at.is_(None)
    )
    with writer.begin() as connection:
        runs = [int(r) for r in connection.execute(old).scalars()]
        if not runs:
            return
        lines = connection.execute(
            select(func.count()).select_from(LogLineRow).where(LogLineRow.run_id.in_(runs))
        ).scalar_one()
        report.log_lines = int(lines)
        if dry_run:
            return
        connection.execute(delete(LogLineRow).where(LogLineRow.run_id.in_(runs)))
        connection.execute(
            update(RunRow).where(RunRow.id.in_(runs)).values(logs_removed_at=time.time())
        )


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _hashes(value: Any, found: set[str]) -> None:
    """Every SHA-256 in a manifest (``files: {path: [sha256, size, mode]}``, see
    :mod:`conveyor.actions.artifact_store`): a blob it names is in use. Any 64-hex-digit
    string counts, so a blob is kept rather than lost when in doubt."""
    if isinstance(value, dict):
        for inner in value.values():
            _hashes(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _hashes(inner, found)
    elif isinstance(value, str) and _SHA256.fullmatch(value):
        found.add(value)


def _kept_builds(connection: Connection, keep: int) -> set[int]:
    """The builds gc keeps whatever their age: live ones, those of each environment's
    ``keep`` newest deployments, and each app's ``keep`` newest builds."""
    kept: set[int] = set()
    newest: dict[tuple[int, str, str], int] = {}
    deployments = select(
        DeploymentRow.repository_id, DeploymentRow.app, DeploymentRow.environment,
        DeploymentRow.artifact_id, DeploymentRow.status,
    ).order_by(DeploymentRow.id.desc())  # fmt: skip
    for repo, app, environment, artifact, status in connection.execute(deployments):
        seen = newest.setdefault((repo, app, environment), 0)
        newest[(repo, app, environment)] = seen + 1
        if artifact is not None and (status == LIVE or seen < keep):
            kept.add(int(artifact))
    builds: dict[tuple[int, str], int] = {}
    ordered = select(BuildArtifactRow.id, BuildArtifactRow.repository_id, BuildArtifactRow.app)
    for build, repo, app in connection.execute(ordered.order_by(BuildArtifactRow.id.desc())):
        seen = builds.get((repo, app), 0)
        builds[(repo, app)] = seen + 1
        if seen < keep:
            kept.add(int(build))
    return kept


def _builds(
    state_dir: Path, writer: Engine, cutoff: float, report: GcReport, dry_run: bool, *, keep: int
) -> None:
    """Remove published builds older than ``cutoff`` that no one may still deploy."""
    with writer.begin() as connection:
        kept = _kept_builds(connection, keep)
        old = connection.execute(
            select(
                BuildArtifactRow.id, BuildArtifactRow.app, BuildArtifactRow.version,
                BuildArtifactRow.kind, BuildArtifactRow.location,
            ).where(BuildArtifactRow.created_at < cutoff)
        ).all()  # fmt: skip
        gone = [row for row in old if int(row.id) not in kept]
        for row in gone:
            report.builds.append(f"{row.app}@{row.version}")
            if row.kind == "files" and str(row.location).startswith("builds/"):
                _remove(state_dir / "artifacts" / str(row.location), report, dry_run, state_dir)
        if dry_run or not gone:
            return
        ids = [int(row.id) for row in gone]
        connection.execute(
            update(DeploymentRow).where(DeploymentRow.artifact_id.in_(ids)).values(artifact_id=None)
        )
        connection.execute(delete(BuildArtifactRow).where(BuildArtifactRow.id.in_(ids)))


def _orphan_blobs(state_dir: Path, cutoff: float, report: GcReport, dry_run: bool) -> None:
    blobs = state_dir / "artifacts" / "blobs"
    if not blobs.is_dir():
        return
    removed = {Path(p) for p, _ in report.removed}
    used: set[str] = set()
    artifacts = state_dir / "artifacts"
    manifests = [*(artifacts / "runs").rglob("*.json"), *(artifacts / "builds").rglob("*.json")]
    for manifest in manifests:
        if any(parent in removed for parent in manifest.parents):
            continue
        try:
            _hashes(json.loads(manifest.read_text(encoding="utf-8")), used)
        except (OSError, ValueError):
            return  # an unreadable manifest: keep every blob rather than guess
    for blob in sorted(blobs.rglob("*")):
        if blob.is_file() and blob.name not in used and blob.stat().st_mtime < cutoff:
            _remove(blob, report, dry_run, state_dir)


def _result_rows(
    state_dir: Path, engine: Engine, cutoff: float, report: GcReport, dry_run: bool
) -> None:
    c = RESULTS.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(c.run_id, c.tier, c.status, c.duration).where(c.recorded_at < cutoff)
        ).all()
        sources = (
            connection.execute(select(INGESTS.c.sources).where(INGESTS.c.created_at < cutoff))
            .scalars()
            .all()
        )
    report.result_rows = len(rows)
    for text in sources:
        for line in str(text or "").splitlines():
            path = Path(line)
            if path.is_absolute() and inside(path, state_dir) and path.is_file():
                _remove(path, report, dry_run, state_dir)
    for empty in sorted((state_dir / RESULTS_DIR / RUNLESS_DIR).glob("*"), reverse=True):
        if not dry_run and empty.is_dir() and not any(empty.iterdir()):
            empty.rmdir()
    if dry_run or not rows:
        return
    counted = aggregates.count_rows(rows)
    with engine.connect() as connection:
        uids = dict(
            connection.execute(select(RunRow.id, RunRow.uid).where(RunRow.id.in_(counted))).all()
        )
    for run_id, tiers in counted.items():
        aggregates.save(state_dir, run_key(run_id, str(uids.get(run_id) or "")), tiers)
    with engine.begin() as connection:
        connection.execute(delete(RESULTS).where(c.recorded_at < cutoff))


def collect_garbage(
    state_dir: Path,
    engine: Engine,
    writer: Engine,
    cutoff: float,
    *,
    dry_run: bool = False,
    keep_builds: int = 10,
) -> GcReport:
    """Remove what is older than ``cutoff`` (a POSIX time); see the module docstring."""
    report = GcReport()
    with engine.connect() as connection:
        _run_dirs(state_dir, connection, cutoff, report, dry_run)
    _builds(state_dir, writer, cutoff, report, dry_run, keep=keep_builds)
    _orphan_blobs(state_dir, cutoff, report, dry_run)
    _log_lines(writer, cutoff, report, dry_run)
    _result_rows(state_dir, writer, cutoff, report, dry_run)
    return report
