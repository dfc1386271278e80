"""`conveyor gc`: old logs, workspaces, artifacts and results go; summaries stay."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from reporting_helpers import FAIL, PASS, record_run
from sqlalchemy import func, select, update

from conveyor.cli.main import main
from conveyor.results.db import ResultsDb
from conveyor.store.models import RunRow
from conveyor.store.results_models import INGESTS, RESULTS
from state_helpers import run_folder

DAY = 86400.0


def _age(path: Path, days: float) -> None:
    stamp = time.time() - days * DAY
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(item, (stamp, stamp))


def _folder(state: Path, rel: str, run_id: int) -> Path:
    """The run's folder under ``rel``: ``logs/`` is named by the plain id (log files of
    older conveyors), the others by the run's key."""
    return state / rel / (str(run_id) if rel == "logs" else run_folder(state, run_id))


def _fill(state: Path, run_id: int, days: float) -> None:
    for rel, inner in (("logs", "build/1-step.log"), ("work", "repo/file.txt")):
        target = _folder(state, rel, run_id) / inner
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x" * 100)
    manifest = _folder(state, "artifacts/runs", run_id) / "dist.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    blob = f"{run_id:064d}"
    manifest.write_text(json.dumps({"files": {"a.txt": {"sha256": blob, "size": 5}}}))
    (state / "artifacts" / "blobs" / blob[:2]).mkdir(parents=True, exist_ok=True)
    (state / "artifacts" / "blobs" / blob[:2] / blob).write_text("hello")
    for rel in ("logs", "work", "artifacts/runs", "results"):
        _age(_folder(state, rel, run_id), days)
    _age(state / "artifacts" / "blobs" / blob[:2] / blob, days)


def _make(state: Path) -> tuple[int, int]:
    old_at, new_at = time.time() - 40 * DAY, time.time() - 2 * DAY
    tiers = {
        "integration": [
            PASS.format(name="test_ok"),
            FAIL.format(name="test_bad", line=3, message="boom", body=""),
        ]
    }
    old = record_run(state, tiers, at=old_at)
    new = record_run(state, tiers, at=new_at)
    with ResultsDb(state) as db, db.writer.begin() as connection:
        connection.execute(update(RunRow).where(RunRow.id == old).values(created_at=old_at))
        connection.execute(update(INGESTS).where(INGESTS.c.run_id == old).values(created_at=old_at))
    _fill(state, old, 40)
    _fill(state, new, 2)
    return old, new


def test_dry_run_lists_without_removing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, _new = _make(tmp_path)
    assert main(["gc", "--older-than", "30d", "--dry-run", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"would remove {tmp_path / 'logs' / str(old)}" in out
    assert "2 test result rows; would free" in out
    assert (tmp_path / "logs" / str(old)).is_dir()


def test_gc_removes_old_things_and_keeps_summaries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _make(tmp_path)
    assert main(["gc", "--older-than", "30d", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "removed" in out and "freed" in out and "2 test result rows" in out
    for rel in ("logs", "work", "artifacts/runs", "results"):
        assert not _folder(tmp_path, rel, old).exists(), rel
        assert _folder(tmp_path, rel, new).exists(), rel
    blobs = {p.name for p in (tmp_path / "artifacts" / "blobs").rglob("*") if p.is_file()}
    assert blobs == {f"{new:064d}"}
    with ResultsDb(tmp_path) as db, db.read() as connection:
        runs = connection.execute(select(func.count()).select_from(RunRow)).scalar()
        left = connection.execute(select(RESULTS.c.run_id).distinct()).scalars().all()
        ingests = connection.execute(select(func.count()).select_from(INGESTS)).scalar()
    assert runs == 2 and left == [new] and ingests == 2
    # the old run's per-tier counts survive, and its report still works
    assert main(["report", str(old), "--format", "json", "--state-dir", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tiers"] == [
        {
            "name": "integration",
            "passed": 1,
            "failed": 1,
            "skipped": 0,
            "flaky": 0,
            "quarantined": 0,
            "duration": 1.5,
            "total": 2,
        }
    ]
    assert data["failures"] == []


def test_bad_age_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gc", "--older-than", "ages", "--state-dir", str(tmp_path)]) == 2
    assert "--older-than: invalid duration 'ages'" in capsys.readouterr().err


def test_gc_never_deletes_the_users_report_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    mine = tmp_path / "some" / "where" / "mine.xml"
    mine.parent.mkdir(parents=True)
    mine.write_text(
        '<testsuite name="s"><testcase classname="c" name="t">'
        '<failure message="nope"/></testcase></testsuite>'
    )
    original = mine.read_bytes()
    assert main(["ingest", str(mine), "--state-dir", str(state)]) == 0
    with ResultsDb(state) as db, db.read() as connection:
        (sources,) = connection.execute(select(INGESTS.c.sources)).one()
    kept = Path(sources)
    assert kept != mine and kept.is_relative_to(state.resolve())
    assert kept.read_bytes() == original  # the history keeps its own copy
    time.sleep(1.1)
    assert main(["gc", "--older-than", "1s", "--state-dir", str(state)]) == 0
    out = capsys.readouterr().out
    assert mine.read_bytes() == original, out  # the user's file is untouched
    assert not kept.exists() and str(kept) in out  # conveyor's copy went
    # an ingest row of an older conveyor naming the user's file: gc still leaves it alone
    with ResultsDb(state) as db, db.writer.begin() as connection:
        connection.execute(update(INGESTS).values(sources=str(mine), created_at=0.0))
    assert main(["gc", "--older-than", "1s", "--state-dir", str(state)]) == 0
    assert mine.read_bytes() == original


def test_gc_leaves_directories_that_are_not_runs_and_symlinks_out(tmp_path: Path) -> None:
    state = tmp_path / "state"
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (state / "work").mkdir(parents=True)
    (state / "work" / "notes").mkdir()
    (state / "work" / "notes" / "a.txt").write_text("user notes")
    (state / "logs").mkdir()
    (state / "logs" / "7").symlink_to(outside)  # a run-like name that leads out
    for path in (state / "work" / "notes", state / "work" / "notes" / "a.txt", outside):
        os.utime(path, (0, 0))
    assert main(["gc", "--older-than", "1s", "--state-dir", str(state)]) == 0
    assert (state / "work" / "notes" / "a.txt").read_text() == "user notes"
    assert (outside / "keep.txt").read_text() == "mine"


def test_gc_keeps_blobs_of_kept_artifacts_and_published_builds(tmp_path: Path) -> None:
    """Manifests written by the artifact store itself (``[sha256, size, mode]`` entries):
    blobs of a kept run's artifact and of a published build survive, a removed run's go."""
    from conveyor.actions.artifact_store import ArtifactStore

    old, new = _make(tmp_path)
    store = ArtifactStore(tmp_path / "artifacts")
    sources = tmp_path / "src"
    sources.mkdir()
    for name in ("kept.txt", "build.txt", "gone.txt"):
        (sources / name).write_text(f"content of {name}")
    new_key, old_key = run_folder(tmp_path, new), run_folder(tmp_path, old)
    kept = store.upload(new_key, new, "kept", [(sources / "kept.txt", "kept.txt")])
    version = "sha-abc1234-20260101-000000"
    build = store.put_build("web", version, [(sources / "build.txt", "b")], new)
    gone = store.upload(old_key, old, "old", [(sources / "gone.txt", "gone.txt")])
    for manifest in (kept, build, gone):
        for stored in manifest.files.values():
            _age(tmp_path / "artifacts" / "blobs" / stored.sha256[:2] / stored.sha256, 40)
    _age(_folder(tmp_path, "artifacts/runs", old), 40)
    assert main(["gc", "--older-than", "30d", "--state-dir", str(tmp_path)]) == 0
    blobs = {p.name for p in (tmp_path / "artifacts" / "blobs").rglob("*") if p.is_file()}
    assert kept.files["kept.txt"].sha256 in blobs
    assert build.files["b"].sha256 in blobs
    assert gone.files["gone.txt"].sha256 not in blobs
    store.verify(build, build.digest)  # the build is still whole
