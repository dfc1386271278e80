"""Durable runs: a run whose process was killed is continued by `conveyor resume`, from
another process, keeping the jobs it finished and running the rest."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import CONVEYOR, env_for, history, make_repo, start, wait_for

PIPELINE = """
name: Pipeline
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: ${{{{ steps.v.outputs.version }}}}
    steps:
      - id: v
        run: |
          echo build >> "{counts}/build"
          echo "version=1.2.3" >> "$GITHUB_OUTPUT"
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo deploy >> "{counts}/deploy"
          echo started > "{counts}/deploy-started"
          while [ ! -f "{counts}/go" ]; do sleep 0.1; done
          echo "deploying ${{{{ needs.build.outputs.version }}}}"
  announce:
    needs: [build, deploy]
    runs-on: ubuntu-latest
    steps:
      - run: echo "announced ${{{{ needs.build.outputs.version }}}}" >> "{counts}/announce"
"""


def conveyor(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONVEYOR, *args],
        cwd=repo,
        env=env_for(repo),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def killed_mid_run(tmp_path: Path) -> tuple[Path, Path]:
    counts = tmp_path / "counts"
    counts.mkdir()
    repo = make_repo(tmp_path / "r", {"p.yml": PIPELINE.format(counts=counts)})
    proc = start(repo)
    wait_for(counts / "deploy-started", timeout=60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=15)
    return repo, counts


@pytest.mark.slow
def test_kill_9_then_resume_finishes_the_run(tmp_path: Path) -> None:
    repo, counts = killed_mid_run(tmp_path)
    assert "interrupted" in history(repo)
    (counts / "go").write_text("go")
    result = conveyor(repo, "resume", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (counts / "build").read_text().split() == ["build"]  # kept, not run again
    assert (counts / "deploy").read_text().split() == ["deploy", "deploy"]  # run again
    assert (counts / "announce").read_text().strip() == "announced 1.2.3"
    shown = conveyor(repo, "show", "1", "--format", "json").stdout
    assert '"conclusion": "success"' in shown
    runs = history(repo)
    assert "interrupted" not in runs and "#1" in runs
    logs = conveyor(repo, "logs", "1", "deploy").stdout
    assert "deploying 1.2.3" in logs
    again = conveyor(repo, "resume", "1")
    assert again.returncode == 2 and "finished (success)" in again.stderr


@pytest.mark.slow
def test_resume_refuses_a_run_that_is_still_running(tmp_path: Path) -> None:
    counts = tmp_path / "counts"
    counts.mkdir()
    repo = make_repo(tmp_path / "r", {"p.yml": PIPELINE.format(counts=counts)})
    proc = start(repo)
    try:
        wait_for(counts / "deploy-started", timeout=60)
        result = conveyor(repo, "resume", "1")
        assert result.returncode == 2
        assert "still running" in result.stderr and str(proc.pid) in result.stderr
    finally:
        (counts / "go").write_text("go")
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert (counts / "deploy").read_text().split() == ["deploy"]


def test_resume_of_an_unknown_run_is_bad_input(tmp_path: Path) -> None:
    workflow = "on: push\njobs: {a: {runs-on: x, steps: [{run: 'true'}]}}\n"
    repo = make_repo(tmp_path / "r", {"p.yml": workflow})
    result = conveyor(repo, "resume", "41")
    assert result.returncode == 2


SLOW_PRINTER = """
name: Printer
on: push
jobs:
  talk:
    runs-on: ubuntu-latest
    steps:
      - run: echo ready > "{marker}"
      - name: count
        run: |
          for i in $(seq 1 40); do echo "line $i"; echo "err $i" >&2; sleep 0.02; done
  after:
    needs: talk
    runs-on: ubuntu-latest
    steps:
      - run: echo "after done"
"""


@pytest.mark.slow
def test_logs_follow_from_another_process_sees_every_line_in_order(tmp_path: Path) -> None:
    marker = tmp_path / "ready"
    repo = make_repo(tmp_path / "r", {"p.yml": SLOW_PRINTER.format(marker=marker)})
    proc = start(repo)
    wait_for(marker, timeout=60)
    followers = [  # the whole run, and only the step that is printing
        subprocess.Popen(
            [CONVEYOR, "logs", "1", *target, "--follow"],
            cwd=repo,
            env=env_for(repo),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for target in ((), ("talk/count",))
    ]
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    (whole, _), (step, step_err) = (f.communicate(timeout=120) for f in followers)
    assert [f.returncode for f in followers] == [0, 0], step_err
    lines = whole.splitlines()
    written = [f"{kind} {i}" for i in range(1, 41) for kind in ("line", "err")]
    assert [line for line in lines if line in written] == written
    assert lines.index("after done") > lines.index("err 40")
    assert [line for line in step.splitlines() if not line.startswith("===")] == written
    only_step = conveyor(repo, "logs", "1", "talk/count").stdout.splitlines()
    assert only_step == written


@pytest.mark.slow
def test_resume_refuses_when_the_workflow_changed(tmp_path: Path) -> None:
    repo, counts = killed_mid_run(tmp_path)
    workflow = repo / ".github" / "workflows" / "p.yml"
    workflow.write_text(workflow.read_text().replace("echo deploy >>", "echo changed >>"))
    result = conveyor(repo, "resume", "1")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "changed since the run began" in result.stderr
    assert (counts / "deploy").read_text().split() == ["deploy"]


FLAKY_PIPELINE = """
name: Pipeline
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: ${{{{ steps.v.outputs.version }}}}
    steps:
      - id: v
        run: |
          echo build >> "{counts}/build"
          echo "version=1.2.3" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo test >> "{counts}/test" && test -f "{counts}/fixed"
  announce:
    needs: [build, test]
    runs-on: ubuntu-latest
    steps:
      - run: echo "announced ${{{{ needs.build.outputs.version }}}}" >> "{counts}/announce"
"""


def test_resume_failed_reruns_the_failed_jobs_and_what_follows_them(tmp_path: Path) -> None:
    counts = tmp_path / "counts"
    counts.mkdir()
    repo = make_repo(tmp_path / "r", {"p.yml": FLAKY_PIPELINE.format(counts=counts)})
    first = start(repo)
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 1, out
    assert not (counts / "announce").exists()  # skipped after the failed test
    refused = conveyor(repo, "resume", "1")  # a finished run is not resumed as such
    assert refused.returncode == 2 and "finished" in refused.stderr
    (counts / "fixed").write_text("")
    again = conveyor(repo, "resume", "1", "--failed")
    assert again.returncode == 0, again.stdout + again.stderr
    # build succeeded before: kept with its outputs, not run again
    assert (counts / "build").read_text().split() == ["build"]
    assert (counts / "test").read_text().split() == ["test", "test"]
    assert (counts / "announce").read_text().split() == ["announced", "1.2.3"]
    shown = conveyor(repo, "show", "1", "--format", "json")
    assert '"attempt": 2' in shown.stdout
    nothing = conveyor(repo, "resume", "1", "--failed")
    assert nothing.returncode == 2 and "has no failed jobs" in nothing.stderr
