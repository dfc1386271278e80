"""A real `conveyor serve` stopped and started again: runs resumed after kill -9, handed
back at shutdown, or finished within the grace period; metrics, JSON logs, statuses."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
from server_helpers import (
    SECRET_ENV,
    TOKEN,
    TOKEN_ENV,
    conveyor,
    deliver,
    git,
    handled,
    make_remote,
    metric,
    push_payload,
    recording_server,
    run_detail,
    run_server,
    runs,
    wait_until,
)

from conveyor.store.recorder import SqlRunStore

ZERO = "0" * 40
# uvicorn shuts down cleanly, then re-raises the SIGTERM it caught (as systemd expects)
_STOPPED = (0, -signal.SIGTERM)


def _two_jobs(counter: Path, seconds: float) -> str:
    """Job a is quick and counts its runs; b counts its starts then sleeps."""
    return f"""\
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo a >> {counter}
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: echo b >> {counter} && sleep {seconds}
"""


def _register(remote: Path, state: Path) -> None:
    conveyor(
        "repos", "add", "o/demo", "--url", str(remote),
        "--webhook-secret-env", SECRET_ENV, "--token-env", TOKEN_ENV, "--state-dir", str(state),
    )  # fmt: skip


def _b_started(counter: Path) -> bool:
    return counter.is_file() and "b" in counter.read_text().split()


def _push(url: str, remote: Path, delivery: str) -> None:
    head = git(remote, "rev-parse", "HEAD")
    answer = deliver(url, "push", push_payload("refs/heads/main", ZERO, head), delivery=delivery)
    assert answer.status_code == 202, answer.text


def test_a_run_whose_server_was_killed_is_resumed_by_the_next_one(tmp_path: Path) -> None:
    counter = tmp_path / "counter.txt"
    remote = make_remote(tmp_path / "remote", {"ci.yml": _two_jobs(counter, 3)})
    state = tmp_path / "state"
    state.mkdir()
    _register(remote, state)
    with run_server(state) as first:
        _push(first.url, remote, "k1")
        wait_until(lambda: _b_started(counter), 60, "job b to start")
        first.stop(signal.SIGKILL)
    (run,) = runs(state)
    assert run.status == "in_progress"  # nobody recorded an end
    # Another conveyor (here: this process) notices first and marks it interrupted.
    SqlRunStore(state).close()
    assert runs(state)[0].conclusion == "interrupted"
    with run_server(state) as second:
        record = handled(state, "k1")
        detail = run_detail(state, record.run_ids[0])
        assert detail.run.conclusion == "success", detail.run.note
        assert "resumed by pid" in detail.run.note
        assert counter.read_text().split() == ["a", "b", "b"]  # a kept, b ran again
        logs = second.logs()
        assert any(e["message"] == "resumed" and e.get("run_id") == run.id for e in logs)


def test_shutdown_hands_back_a_long_run_and_the_next_server_finishes_it(tmp_path: Path) -> None:
    counter = tmp_path / "counter.txt"
    remote = make_remote(tmp_path / "remote", {"ci.yml": _two_jobs(counter, 4)})
    state = tmp_path / "state"
    state.mkdir()
    _register(remote, state)
    with run_server(state, "--grace", "0.5") as first:
        _push(first.url, remote, "h1")
        wait_until(lambda: _b_started(counter), 60, "job b to start")
        assert first.stop(signal.SIGTERM, timeout=30) in _STOPPED
        messages = [e["message"] for e in first.logs()]
        assert "handed back" in messages and "server stopped" in messages
    (run,) = runs(state)
    assert run.conclusion is None  # handed back as it was: not cancelled, not failed
    with run_server(state):
        detail = run_detail(state, handled(state, "h1").run_ids[0])
        assert detail.run.conclusion == "success"
        assert [(j.job_id, j.conclusion) for j in detail.jobs] == [
            ("a", "success"),
            ("b", "success"),
        ]
        assert counter.read_text().split() == ["a", "b", "b"]


def test_shutdown_lets_a_short_run_finish_and_refuses_new_work(tmp_path: Path) -> None:
    counter = tmp_path / "counter.txt"
    remote = make_remote(tmp_path / "remote", {"ci.yml": _two_jobs(counter, 2)})
    state = tmp_path / "state"
    state.mkdir()
    _register(remote, state)
    with run_server(state, "--grace", "60") as server:
        _push(server.url, remote, "g1")
        wait_until(lambda: _b_started(counter), 60, "job b to start")
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(60) in _STOPPED
        messages = [e["message"] for e in server.logs()]
        assert "handed back" not in messages
    (run,) = runs(state)
    assert run.conclusion == "success"


def test_metrics_logs_and_commit_statuses(tmp_path: Path) -> None:
    counter = tmp_path / "counter.txt"
    remote = make_remote(tmp_path / "remote", {"ci.yml": _two_jobs(counter, 0)})
    state = tmp_path / "state"
    state.mkdir()
    _register(remote, state)
    head = git(remote, "rev-parse", "HEAD")
    with recording_server() as api, run_server(state, "--status-api-url", api.url) as server:
        openapi = httpx.get(server.url + "/api/openapi.json").json()
        assert {"/webhooks/github", "/metrics", "/healthz"} <= set(openapi["paths"])
        before = httpx.get(server.url + "/metrics")
        assert before.headers["content-type"].startswith("text/plain")
        assert metric(before.text, "conveyor_queue_depth") == 0
        assert metric(before.text, "conveyor_workers") >= 2
        _push(server.url, remote, "m1")
        handled(state, "m1")
        wait_until(lambda: len(api.calls) >= 2, 30, "two commit statuses")
        text = httpx.get(server.url + "/metrics").text
        assert metric(text, "conveyor_job_duration_seconds_count") == 2
        assert metric(text, "conveyor_running_jobs") == 0
        assert metric(text, "conveyor_runs_started_total") == 1
        assert 'conveyor_webhook_deliveries_total{event="push",outcome="started"} 1.0' in text
        logs = server.logs()
        assert any(e["message"] == "delivery handled" and e["delivery"] == "m1" for e in logs)
        assert all({"ts", "level", "logger", "message"} <= set(e) for e in logs)
    states = [(c["path"], c["json"]["state"], c["authorization"]) for c in api.calls]
    path = f"/repos/o/demo/statuses/{head}"
    assert states == [(path, "pending", f"Bearer {TOKEN}"), (path, "success", f"Bearer {TOKEN}")]
    assert api.calls[0]["json"]["context"] == "conveyor/" + ".github/workflows/ci.yml"
    kept = [*state.glob("conveyor.db*"), *tmp_path.glob("server-*.log")]
    assert len(kept) >= 2
    assert all(TOKEN.encode() not in path.read_bytes() for path in kept)
