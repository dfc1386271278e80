"""The CLI against a server (``--server`` / ``CONVEYOR_SERVER`` with ``CONVEYOR_TOKEN``):
``runs``, ``show`` and ``logs`` print what they print locally; ``logs --follow`` streams
a live run; ``dispatch`` starts one; errors exit as the local commands do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from api_helpers import Api


def _cli(api: Api, *args: str, token: str | None = "read", **env: str) -> tuple[int, str, str]:
    full = {k: v for k, v in os.environ.items() if k not in ("CONVEYOR_SERVER", "CONVEYOR_TOKEN")}
    full.update(env)
    if token is not None:
        full["CONVEYOR_TOKEN"] = api.tokens.get(token, token)
    done = subprocess.run(
        [sys.executable, "-m", "conveyor", *args],
        env=full, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def _local(api: Api, *args: str) -> str:
    code, out, err = _cli(api, *args, "--state-dir", str(api.state), token=None)
    assert code in (0, 1), out + err
    return out


def _remote(api: Api, *args: str) -> str:
    code, out, err = _cli(api, *args, "--server", api.url)
    assert code in (0, 1), out + err
    return out


def test_runs_show_and_logs_print_as_they_do_locally(api: Api) -> None:
    [run_id] = api.local_runs
    assert _remote(api, "runs") == _local(api, "runs", "--all")
    assert _remote(api, "runs", "--workflow", "CI", "--format", "json") == _local(
        api, "runs", "--all", "--workflow", "CI", "--format", "json"
    )
    for args in (
        ("show", str(run_id)),
        ("show", str(run_id), "--format", "json"),
        ("logs", str(run_id)),
        ("logs", str(run_id), "test"),
        ("logs", str(run_id), "build/0"),
        ("logs", str(run_id), "test", "--step", "tests"),
        ("logs", str(run_id), "--follow"),
        ("logs", str(run_id), "test", "--follow"),
    ):
        remote = _remote(api, *args)
        assert remote == _local(api, *args), args
        assert remote.strip()
    assert "hello nobody" in _remote(api, "logs", str(run_id))


def test_the_server_can_come_from_the_environment(api: Api) -> None:
    [run_id] = api.local_runs
    code, out, err = _cli(api, "show", str(run_id), CONVEYOR_SERVER=api.url)
    assert code == 0, err
    assert out == _local(api, "show", str(run_id))


def test_dispatch_then_follow_a_live_run(api: Api) -> None:
    code, out, err = _cli(
        api, "dispatch", "slow.yml", "--repo", "o/demo", "--server", api.url, token="write"
    )
    assert code == 0, out + err
    match = re.search(r"dispatched slow\.yml on o/demo: run (\d+)", out)
    assert match, out
    run_id = match.group(1)
    started = time.monotonic()
    code, out, err = _cli(api, "logs", run_id, "--follow", "--server", api.url)
    assert code == 0, err
    assert out.splitlines() == ["=== tick / step 0", *(f"tick {i}" for i in range(1, 9))]
    assert time.monotonic() - started > 1.0  # it waited for the run's lines
    assert _remote(api, "logs", run_id) == _local(api, "logs", run_id)


def test_dispatch_with_inputs(api: Api) -> None:
    code, out, err = _cli(
        api, "dispatch", "ci", "--repo", "o/demo", "--ref", "main", "--input", "who=cli",
        "--server", api.url, token="write",
    )  # fmt: skip
    assert code == 0, out + err
    run_id = int(out.rsplit(" ", 1)[-1])
    api.wait_run(run_id)
    assert "hello cli" in _remote(api, "logs", str(run_id), "build")


@pytest.mark.parametrize(
    ("args", "token", "message"),
    [
        (("runs",), "cvy_unknown", "unknown or revoked"),
        (("runs",), "", "set $CONVEYOR_TOKEN"),
        (("show", "999999"), "read", "no run 999999"),
        (("dispatch", "ci", "--repo", "o/demo"), "read", "needs a write token"),
        (("approve", "1", "--env", "production"), "write", "needs a reviewer token"),
    ],
)
def test_refusals_exit_2_with_the_servers_message(
    api: Api, args: tuple[str, ...], token: str, message: str
) -> None:
    code, out, err = _cli(api, *args, "--server", api.url, token=token)
    assert code == 2, out + err
    assert message in err


def test_an_unreachable_server_and_dispatch_without_one(api: Api) -> None:
    code, _, err = _cli(api, "runs", "--server", "http://127.0.0.1:9")
    assert code == 2 and "cannot reach the conveyor server http://127.0.0.1:9" in err
    code, _, err = _cli(api, "dispatch", "ci", "--repo", "o/demo", token=None)
    assert code == 2 and "conveyor trigger workflow_dispatch" in err
