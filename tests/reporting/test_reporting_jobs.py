"""A report always says which jobs and steps failed, with the last lines of their logs, and
points at ``conveyor logs`` only when that prints something."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from reporting_helpers import Receiver

from conveyor.cli.main import main
from git_repo_helpers import init_repo, isolate_git, run_git

WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo fine
      - name: Compile
        run: |
          for i in $(seq 1 40); do echo "compiling unit $i"; done
          echo "error: undefined symbol frobnicate" >&2
          exit 3
  docker:
    runs-on: ubuntu-latest
    container: python:3.12
    steps:
      - run: echo never
  later:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo skipped
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path)
    for name in (
        "CONVEYOR_HOME",
        "CONVEYOR_DATABASE_URL",
        "CONVEYOR_REPOSITORY",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(name, raising=False)
    root = init_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root


def _commit(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    run_git("add", "-A", cwd=root)
    run_git("commit", "-qm", "files", cwd=root)


def test_report_of_a_run_that_failed_outside_tests_names_jobs_steps_and_log_tails(
    repo: Path, capsys: pytest.CaptureFixture[str], receiver: Receiver
) -> None:
    _commit(repo, {".github/workflows/ci.yml": WORKFLOW})
    (repo / "conveyor.toml").write_text(f'[notify.webhook]\nurl = "{receiver.url}"\n')
    assert main(["run"]) == 1
    capsys.readouterr()
    assert main(["report", "latest", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "failed"
    jobs = {j["job_key"]: j for j in data["failed_jobs"]}
    assert set(jobs) == {"build", "docker"}  # 'later' was skipped, not failed
    (step,) = jobs["build"]["steps"]
    assert (step["index"], step["name"], step["exit_code"]) == (1, "Compile", 3)
    assert step["log_tail"][-1] == "error: undefined symbol frobnicate"
    assert step["log_tail"][-2] == "compiling unit 40"
    assert len(step["log_tail"]) == 20 and "compiling unit 1" not in step["log_tail"]
    assert step["logs_command"] == f"conveyor logs {data['run_id']} build --step 1"
    assert jobs["docker"]["steps"] == []
    assert "needs Docker" in jobs["docker"]["note"]
    assert data["logs_command"] == f"conveyor logs {data['run_id']}"

    assert main(["report", "latest", "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "### ❌ Failed jobs" in md and "- **build**: failure" in md
    assert "  - step 1 `Compile`: failure (exit 3)" in md
    assert "    error: undefined symbol frobnicate" in md
    assert "- **docker**: failure (job 'docker' uses 'container:'" in md
    assert f"Full log: `conveyor logs {data['run_id']} build --step 1`" in md
    assert main(["report", "latest", "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert "<h2>Failed jobs</h2>" in html and "undefined symbol frobnicate" in html

    assert main(["notify", "latest"]) == 0  # the notification carries the same
    (sent,) = receiver.bodies
    step = sent["report"]["failed_jobs"][0]["steps"][0]
    assert step["log_tail"][-1] == "error: undefined symbol frobnicate"
    capsys.readouterr()

    # the command the report points at prints the step's whole log
    assert main(["logs", str(data["run_id"]), "build", "--step", "1"]) == 0
    assert "compiling unit 1\n" in capsys.readouterr().out


def test_report_of_conveyor_test_points_at_no_empty_logs(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _commit(
        repo,
        {
            "pytest.ini": "[pytest]\nmarkers =\n    unit: unit\n",
            "tests/test_a.py": "import pytest\n\n@pytest.mark.unit\ndef test_a():\n"
            "    assert 1 == 2\n",
        },
    )
    assert main(["test", "--tier", "unit"]) == 1
    out = capsys.readouterr().out
    report_md = Path(out.rsplit("report: ", 1)[1].strip())
    for fmt in ("md", "json", "html"):
        assert main(["report", "latest", "--format", fmt]) == 0
        text = capsys.readouterr().out
        assert "test_a" in text
        assert "conveyor logs" not in text, fmt
    assert "conveyor logs" not in report_md.read_text()
    assert "results" in report_md.read_text()  # the failure points at its kept JUnit file
