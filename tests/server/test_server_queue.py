"""The run queue in this process (what the API uses): dispatch with inputs, cancel,
re-run (all, or only the failed jobs), and what it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_helpers import git, make_remote, run_detail, run_text, wait_until

from conveyor.errors import UserError
from conveyor.server.queue import NotFound, RunQueue
from conveyor.store.server_store import ServerRepository

WORKFLOW = """\
on:
  workflow_dispatch:
    inputs:
      who: {type: string, required: true}
      slow: {type: boolean, default: false}
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - run: echo "hello ${{ inputs.who }}"
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: if [ "${{ inputs.slow }}" = "true" ]; then sleep 60; fi; test -f ok.txt
"""


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[tuple[RunQueue, Path]]:
    remote = make_remote(tmp_path / "remote", {"dispatch.yml": WORKFLOW})
    runs = RunQueue(tmp_path / "state", max_jobs=2)
    runs.store.add_repository(ServerRepository("o/demo", str(remote)))
    try:
        yield runs, remote
    finally:
        runs.shutdown(10)


def _dispatch(runs: RunQueue, remote: Path, **inputs: object) -> list[int]:
    head = git(remote, "rev-parse", "HEAD")
    payload = {"ref": "refs/heads/main", "repository": {"full_name": "o/demo"}}
    return runs.submit(
        "o/demo",
        head,
        "workflow_dispatch",
        payload,
        ref="refs/heads/main",
        workflow=".github/workflows/dispatch.yml",
        inputs=inputs,
    )


def test_dispatch_with_inputs_then_rerun_only_the_failed_jobs(
    queue: tuple[RunQueue, Path], tmp_path: Path
) -> None:
    runs, remote = queue
    (run_id,) = _dispatch(runs, remote, who="ada")
    assert runs.wait_idle(60)
    detail = run_detail(runs.state_dir, run_id)
    assert [(j.job_id, j.conclusion) for j in detail.jobs] == [
        ("first", "success"),
        ("second", "failure"),  # no ok.txt in the workspace
    ]
    assert "hello ada" in run_text(runs.state_dir, run_id)
    (again,) = runs.rerun(run_id, failed_only=True)
    assert runs.wait_idle(60)
    rerun = run_detail(runs.state_dir, again)
    # the run's next attempt, as GitHub's "re-run failed jobs": the job that succeeded is
    # kept as it was (outputs, times), the failed one ran again
    assert again == run_id and rerun.run.attempt == 2 and rerun.run.sha == detail.run.sha
    before = {j.job_id: j for j in detail.jobs}
    after = {j.job_id: j for j in rerun.jobs}
    assert after["first"].started_at == before["first"].started_at
    assert after["first"].conclusion == "success"
    assert after["second"].started_at != before["second"].started_at
    assert after["second"].conclusion == "failure"
    assert rerun.run.status == "completed" and rerun.run.conclusion == "failure"
    (whole,) = runs.rerun(run_id)
    assert runs.wait_idle(60)
    assert run_detail(runs.state_dir, whole).run.event == "workflow_dispatch"


def test_cancel_stops_a_running_run(queue: tuple[RunQueue, Path]) -> None:
    runs, remote = queue
    (run_id,) = _dispatch(runs, remote, who="x", slow=True)
    wait_until(
        lambda: any(j.job_id == "second" for j in run_detail(runs.state_dir, run_id).jobs),
        60,
        "the slow job",
    )
    assert runs.cancel(run_id)
    assert runs.wait_idle(30)
    assert run_detail(runs.state_dir, run_id).run.conclusion == "cancelled"
    assert not runs.cancel(run_id)  # not running any more


def test_refusals(queue: tuple[RunQueue, Path]) -> None:
    runs, remote = queue
    head = git(remote, "rev-parse", "HEAD")
    with pytest.raises(NotFound, match="not registered"):
        runs.submit("nope", head, "push", {})
    with pytest.raises(UserError, match=r"who"):
        _dispatch(runs, remote)  # 'who' is required
    with pytest.raises(UserError, match="not in"):
        runs.submit("o/demo", "f" * 40, "push", {})
    with pytest.raises(NotFound):
        runs.rerun(12345)
    (run_id,) = _dispatch(runs, remote, who="y")
    assert runs.wait_idle(60)
    runs.stopping.set()
    with pytest.raises(UserError, match="shutting down"):
        runs.rerun(run_id)


def test_dispatch_resolves_the_ref_and_fills_the_payload(queue: tuple[RunQueue, Path]) -> None:
    runs, remote = queue
    git(remote, "tag", "v2")
    (run_id,) = runs.dispatch(
        "o/demo", ".github/workflows/dispatch.yml", ref="v2", inputs={"who": "tagged"}, actor="eve"
    )
    (other,) = runs.dispatch("o/demo", ".github/workflows/dispatch.yml", inputs={"who": "main"})
    assert runs.wait_idle(60)
    tagged, main = run_detail(runs.state_dir, run_id).run, run_detail(runs.state_dir, other).run
    assert (tagged.ref, tagged.event, tagged.sha) == (
        "refs/tags/v2",
        "workflow_dispatch",
        git(remote, "rev-parse", "HEAD"),
    )
    assert main.ref == "refs/heads/main"
    assert "hello tagged" in run_text(runs.state_dir, run_id)
    with pytest.raises(NotFound, match="no branch or tag"):
        runs.dispatch("o/demo", ".github/workflows/dispatch.yml", ref="nope", inputs={"who": "x"})
