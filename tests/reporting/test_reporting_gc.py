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

DAY = 86400.0


def _age(path: Path, days: float) -> None:
    stamp = time.time() - days * DAY
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(item, (stamp, stamp))


def _fill(state: Path, run_id: int, days: float) -> None:
    for rel in (f"logs/{run_id}/build/1-step.log", f"work/{run_id}/repo/file.txt"):
        target = state / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x" * 100)
    manifest = state / "artifacts" / "runs" / str(run_id) / "dist.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    blob = f"{run_id:064d}"
    manifest.write_text(json.dumps({"files": {"a.txt": {"sha256": blob, "size": 5}}}))
    (state / "artifacts" / "blobs" / blob[:2]).mkdir(parents=True, exist_ok=True)
    (state / "artifacts" / "blobs" / blob[:2] / blob).write_text("hello")
    for rel in ("logs", "work", "artifacts/runs", "results"):
        _age(state / rel / str(run_id), days)
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
        assert not (tmp_path / rel / str(old)).exists(), rel
        assert (tmp_path / rel / str(new)).exists(), rel
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
