"""A test report a step writes on a ``conveyor worker`` is ingested into the run with its
job and step, as with the local and process executors (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

from celery_helpers import Cluster, run_conveyor

from e2e.e2e_helpers import make_repo

WORKFLOW = """
on: push
jobs:
  api-tests:
    runs-on: linux
    steps:
      - name: Tests on a worker
        run: |
          cat > junit.xml <<XML
          <testsuite name="api"><testcase classname="api" name="creates"/>
          <testcase classname="api" name="lists"><failure message="boom"/></testcase>
          </testsuite>
          XML
"""


def test_a_report_written_on_a_worker_is_ingested(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_worker("alpha", "linux")
    repo = make_repo(tmp_path / "repo", {"ci.yml": WORKFLOW})
    done = run_conveyor(cluster, repo, "run", "--executor", "celery")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ingested test report junit.xml: 2 tests (1 failed, 1 passed)" in done.stdout
    report = json.loads(run_conveyor(cluster, repo, "report", "1", "--format", "json").stdout)
    tiers = {t["name"]: (t["passed"], t["failed"]) for t in report["tiers"]}
    assert tiers == {"api-tests": (1, 1)}, report
