"""Two history databases on one state directory keep to their own files (issue 10 #9).

A SQLite database (the state directory's own) and a PostgreSQL database both number their
first run 1. Run folders are named by the run's key (id and uid, see
conveyor.engine.runkeys), so the two runs' logs, results, artifacts and workspaces never
mix, and ``conveyor gc`` on one database leaves the other's folders alone. ``conveyor
ingest --run N`` into a run that does not exist is refused before anything is stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from conveyor.store.results_models import INGESTS, RESULTS
from git_repo_helpers import init_repo, isolate_git, run_git

CONVEYOR = str(Path(sys.executable).parent / "conveyor")

WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "log line from $DB_NAME"
          echo "$DB_NAME" > "$GITHUB_WORKSPACE/made-by.txt"
          mkdir -p dist && echo "artifact of $DB_NAME" > dist/who.txt
          printf '<testsuite name="s"><testcase classname="t" name="%s">%s</testcase>%s' \\
            "test_from_$DB_NAME" '<failure message="boom"/>' '</testsuite>' > junit.xml
          conveyor ingest junit.xml --run "$GITHUB_RUN_ID" --tier unit
      - uses: actions/upload-artifact@v4
        with:
          name: dist
          path: dist
"""


def _repo(path: Path) -> Path:
    init_repo(path)
    (path / ".github" / "workflows").mkdir(parents=True)
    (path / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    run_git("add", "-A", cwd=path)
    run_git("commit", "-qm", "ci", cwd=path)
    return path


def _conveyor(repo: Path, url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    env.update(CI="true", CONVEYOR_KEEP_WORKSPACE="1")  # to look into the workspaces after
    if url:
        env["CONVEYOR_DATABASE_URL"] = url
    return subprocess.run(
        [CONVEYOR, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            ingests = connection.execute(select(func.count()).select_from(INGESTS)).scalar_one()
            results = connection.execute(select(func.count()).select_from(RESULTS)).scalar_one()
    finally:
        engine.dispose()
    return int(ingests), int(results)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_sqlite_and_postgres_runs_1_share_a_state_directory_without_mixing(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_git(monkeypatch, tmp_path)
    repo = _repo(tmp_path / "repo")
    state = repo / ".conveyor"
    sqlite_url = f"sqlite:///{state / 'conveyor.db'}"
    backends = {"sqlite": None, "postgres": db_url}

    # before any run: ingest into run 999 or -5 is refused, nothing is stored or kept
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuite name="s"><testcase classname="t" name="test_x"/></testsuite>')
    for url in backends.values():
        for run in ("999", "-5"):
            refused = _conveyor(repo, url, "ingest", str(junit), "--run", run)
            assert refused.returncode == 2, refused.stdout + refused.stderr
            assert f"--run {run}: no such run is recorded" in refused.stderr
    assert _counts(sqlite_url) == (0, 0) and _counts(db_url) == (0, 0)
    assert not (state / "results").exists() or not any((state / "results").iterdir())

    for name, url in backends.items():
        done = _conveyor(repo, url, "run", "--env", f"DB_NAME={name}")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "#1 " in done.stdout  # both databases number this run 1
        assert "ingested 1 results" in done.stdout

    for area in ("work", "results", "artifacts/runs"):
        folders = sorted(p.name for p in (state / area).iterdir() if p.name[0].isdigit())
        assert len(folders) == 2 and all(f.startswith("1-") for f in folders), (area, folders)
    folder = {}
    for name, url in backends.items():
        shown = _conveyor(repo, url, "show", "1", "--format", "json")
        assert shown.returncode == 0, shown.stderr
        uid = json.loads(shown.stdout)["run"]["uid"]
        folder[name] = f"1-{uid[:12]}"
    assert folder["sqlite"] != folder["postgres"]

    for name, url in backends.items():
        other = "postgres" if name == "sqlite" else "sqlite"
        mine = folder[name]
        # workspaces: each run's own
        made = (state / "work" / mine / "build" / "made-by.txt").read_text().strip()
        assert made == name
        # results: each ingest kept its copy in its own run's folder
        kept = "".join(p.read_text() for p in (state / "results" / mine).iterdir())
        assert f"test_from_{name}" in kept and f"test_from_{other}" not in kept
        # artifacts: each run's manifest, holding its own file
        manifest = state / "artifacts" / "runs" / mine / "dist.json"
        blob_sha = json.loads(manifest.read_text())["files"]["who.txt"][0]
        blob = state / "artifacts" / "blobs" / blob_sha[:2] / blob_sha
        assert blob.read_text() == f"artifact of {name}\n"
        # logs and reports: each database shows its own run 1
        logs = _conveyor(repo, url, "logs", "1")
        assert f"log line from {name}" in logs.stdout, logs
        assert f"log line from {other}" not in logs.stdout, logs
        report = _conveyor(repo, url, "report", "1", "--format", "json")
        assert report.returncode == 0, report.stderr
        assert f"test_from_{name}" in report.stdout and f"test_from_{other}" not in report.stdout
        assert _counts(sqlite_url if name == "sqlite" else db_url) == (1, 1)

    # ingest into the recorded run 1 works; 999 and -5 are still refused
    for url in backends.values():
        assert _conveyor(repo, url, "ingest", str(junit), "--run", "1").returncode == 0
        for run in ("999", "-5"):
            assert _conveyor(repo, url, "ingest", str(junit), "--run", run).returncode == 2
    assert not (state / "results" / "999").exists() and not (state / "results" / "-5").exists()

    # gc on SQLite removes SQLite's run folders only; PostgreSQL's stay whole
    time.sleep(1.1)
    swept = _conveyor(repo, None, "gc", "--older-than", "1s")
    assert swept.returncode == 0, swept.stderr
    for area in ("work", "results", "artifacts/runs"):
        assert not (state / area / folder["sqlite"]).exists(), (area, swept.stdout)
        assert (state / area / folder["postgres"]).is_dir(), (area, swept.stdout)
    assert folder["postgres"] not in swept.stdout
    made = state / "work" / folder["postgres"] / "build" / "made-by.txt"
    assert made.read_text().strip() == "postgres"
    blob_sha = json.loads(
        (state / "artifacts" / "runs" / folder["postgres"] / "dist.json").read_text()
    )["files"]["who.txt"][0]
    assert (state / "artifacts" / "blobs" / blob_sha[:2] / blob_sha).is_file()
    logs = _conveyor(repo, db_url, "logs", "1")
    assert "log line from postgres" in logs.stdout, logs.stderr
