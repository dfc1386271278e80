"""Two repositories sharing one database, through the real `conveyor` command.

Each gets its own run numbers and its own schedule slots; `conveyor runs` lists the
current repository's runs, `--all` every repository's with a column for it; run ids are
global. On PostgreSQL (``CONVEYOR_DATABASE_URL``) and on one SQLite file (a shared
``CONVEYOR_HOME``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from git_repo_helpers import init_repo, isolate_git, run_git

pytestmark = pytest.mark.slow

CONVEYOR = str(Path(sys.executable).parent / "conveyor")

CI = """\
name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "built ${{ github.repository }}"
"""

NIGHTLY = """\
name: Nightly
on:
  schedule:
    - cron: '0 18 * * *'
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - run: echo "fired ${{ github.repository }}"
"""

REMOTES = {
    "app": ("git@github.com:acme/app.git", "github.com/acme/app", "acme/app"),
    "lib": ("https://bot:s3cret@github.com/acme/lib", "github.com/acme/lib", "acme/lib"),
}


def _repository(root: Path, origin: str, workflows: dict[str, str]) -> Path:
    init_repo(root)
    run_git("remote", "add", "origin", origin, cwd=root)
    for name, text in workflows.items():
        path = root / ".github" / "workflows" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    run_git("add", "-A", cwd=root)
    run_git("commit", "-qm", "workflows", cwd=root)
    return root


@pytest.fixture
def shared(tmp_path: Path, db_url: str | None, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of both repositories' conveyor processes: one database."""
    isolate_git(monkeypatch, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    env["CI"] = "true"
    if db_url:
        env["CONVEYOR_DATABASE_URL"] = db_url  # each repository keeps its own .conveyor
    else:
        env["CONVEYOR_HOME"] = str(tmp_path / "shared-state")  # one SQLite file
    return env


def _conveyor(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONVEYOR, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _ok(root: Path, env: dict[str, str], *args: str) -> str:
    done = _conveyor(root, env, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_two_repositories_each_get_run_1_and_list_only_their_own(
    tmp_path: Path, shared: dict[str, str]
) -> None:
    roots = {
        name: _repository(tmp_path / name, origin, {"ci.yml": CI})
        for name, (origin, _key, _display) in REMOTES.items()
    }
    for root in roots.values():
        _ok(root, shared, "run")
    ids = {}
    for name, root in roots.items():
        _origin, key, display = REMOTES[name]
        runs = json.loads(_ok(root, shared, "runs", "--format", "json"))
        assert [(r["run_number"], r["workflow_path"]) for r in runs] == [
            (1, ".github/workflows/ci.yml")
        ]
        assert runs[0]["repository_key"] == key and runs[0]["repository_name"] == display
        ids[name] = runs[0]["id"]
        text = _ok(root, shared, "runs")
        other = "acme/lib" if name == "app" else "acme/app"
        assert "#1" in text and str(ids[name]) in text and other not in text
    assert ids["app"] != ids["lib"]
    listing = _ok(roots["app"], shared, "runs", "--all").splitlines()
    assert listing[0].split()[:3] == ["id", "repository", "#"]
    rows = {line.split()[1]: line.split() for line in listing[1:]}
    assert set(rows) == {"acme/app", "acme/lib"}
    assert all(row[2] == "#1" and row[3] == "CI" for row in rows.values())
    # run ids are global: any repository's run can be shown from anywhere
    assert f"run {ids['lib']}" in _ok(roots["app"], shared, "show", str(ids["lib"]))
    # (log files stay in the state directory of the repository that ran: read them there)
    assert "built acme/lib" in _ok(roots["lib"], shared, "logs", str(ids["lib"]))
    # a second run in one repository is its #2; the other's numbering is untouched
    _ok(roots["lib"], shared, "run")
    lib_runs = json.loads(_ok(roots["lib"], shared, "runs", "--format", "json"))
    assert [r["run_number"] for r in lib_runs] == [2, 1]
    app_runs = json.loads(_ok(roots["app"], shared, "runs", "--format", "json"))
    assert [r["run_number"] for r in app_runs] == [1]
    # `report latest` is the current repository's newest run
    report = json.loads(_ok(roots["app"], shared, "report", "latest", "--format", "json"))
    assert report["run_id"] == ids["app"]
    # the origin's credentials are never stored
    all_runs = json.loads(_ok(roots["app"], shared, "runs", "--all", "--format", "json"))
    assert "s3cret" not in json.dumps(all_runs)


def test_schedule_slots_of_two_repositories_both_fire(
    tmp_path: Path, shared: dict[str, str]
) -> None:
    roots = {
        name: _repository(tmp_path / name, origin, {"nightly.yml": NIGHTLY})
        for name, (origin, _key, _display) in REMOTES.items()
    }
    at = "2024-05-01T18:00:00Z"
    for name, root in roots.items():
        out = _ok(root, shared, "schedule", "run", "--once-at", at)
        assert "1 slot(s) fired" in out and f"fired acme/{name}" in out
    # each repository's slot is claimed once: a second daemon fires nothing
    for root in roots.values():
        assert "0 slot(s) fired" in _ok(root, shared, "schedule", "run", "--once-at", at)
    for name, root in roots.items():
        history = _ok(root, shared, "schedule", "history").splitlines()
        assert history == [
            "2024-05-01 18:00Z  .github/workflows/nightly.yml  [0 18 * * *]  success"
        ]
        runs = json.loads(_ok(root, shared, "runs", "--format", "json"))
        assert [(r["event"], r["repository_name"]) for r in runs] == [("schedule", f"acme/{name}")]
    every = _ok(roots["app"], shared, "schedule", "history", "--all")
    assert "github.com/acme/app" in every and "github.com/acme/lib" in every
