"""What the server does by itself: the schedule daemon, deliveries a stopped server had
recorded but not started, and the process executor."""

from __future__ import annotations

from pathlib import Path

from server_helpers import (
    SECRET_ENV,
    conveyor,
    deliver,
    git,
    handled,
    make_remote,
    push_payload,
    run_detail,
    run_server,
    runs,
    wait_until,
)

from conveyor.store.schedule import Firing, FiringStore
from conveyor.store.server_store import ServerStore

ZERO = "0" * 40
SCHEDULED = """\
on:
  schedule:
    - cron: "* * * * *"
  push:
jobs:
  tick:
    runs-on: ubuntu-latest
    steps:
      - run: echo "tick from $GITHUB_EVENT_NAME"
"""


def _register(remote: Path, state: Path) -> None:
    conveyor(
        "repos", "add", "o/demo", "--url", str(remote),
        "--webhook-secret-env", SECRET_ENV, "--state-dir", str(state),
    )  # fmt: skip


def test_the_server_fires_schedules_of_the_default_branch(tmp_path: Path) -> None:
    remote = make_remote(tmp_path / "remote", {"tick.yml": SCHEDULED})
    state = tmp_path / "state"
    state.mkdir()
    _register(remote, state)
    with run_server(state, schedules=True):
        # the newest slot (this minute's) is caught up on start
        wait_until(lambda: any(r.event == "schedule" for r in runs(state)), 60, "a run")
        wait_until(lambda: runs(state)[0].status == "completed", 60, "the run to end")
        wait_until(lambda: _firings(state)[0].status != "fired", 30, "the firing to end")
    run = next(r for r in runs(state) if r.event == "schedule")  # more if a minute turned
    assert run.conclusion == "success"
    assert run.sha == git(remote, "rev-parse", "HEAD")
    firing = _firings(state)[0]
    assert (firing.workflow_path, firing.status) == (".github/workflows/tick.yml", "success")


def _firings(state: Path) -> list[Firing]:
    with FiringStore(state) as firings:
        return firings.firings()


def test_deliveries_recorded_before_a_stop_are_started_by_the_next_server(
    tmp_path: Path,
) -> None:
    remote = make_remote(tmp_path / "remote", {"tick.yml": SCHEDULED})
    state = tmp_path / "state"
    state.mkdir()
    _register(remote, state)
    head = git(remote, "rev-parse", "HEAD")
    with ServerStore(state) as store:  # as a server that stopped right after recording
        new, _ = store.record_delivery(
            "left-1", "o/demo", "push", "", push_payload("refs/heads/main", ZERO, head)
        )
    assert new
    with run_server(state):
        record = handled(state, "left-1")
    (run_id,) = record.run_ids
    assert run_detail(state, run_id).run.conclusion == "success"


def test_the_process_executor(tmp_path: Path) -> None:
    remote = make_remote(tmp_path / "remote", {"tick.yml": SCHEDULED})
    state = tmp_path / "state"
    state.mkdir()
    _register(remote, state)
    head = git(remote, "rev-parse", "HEAD")
    with run_server(state, "--executor", "process") as server:
        answer = deliver(
            server.url, "push", push_payload("refs/heads/main", ZERO, head), delivery="p-1"
        )
        assert answer.status_code == 202
        record = handled(state, "p-1")
    assert run_detail(state, record.run_ids[0]).run.conclusion == "success"
