"""GET /api/schedules lists what the server's schedule daemon watches, with the next fire
times, from a real ``conveyor serve`` that runs the daemon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
from api_helpers import make_token
from server_helpers import conveyor, free_port, make_remote, server_env, wait_until

NIGHTLY = """\
name: Nightly
on:
  schedule:
    - cron: "0 0 1 1 *"
    - cron: "30 6 * * 1"
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - run: echo scan
"""


def test_schedules_with_next_fire_times(tmp_path: Path) -> None:
    remote = make_remote(tmp_path / "remote", {"nightly.yml": NIGHTLY})
    state = tmp_path / "state"
    state.mkdir()
    conveyor("repos", "add", "o/nightly", "--url", str(remote), "--state-dir", str(state))
    token = make_token(state, "alice", "read")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **server_env(state)}
    env.pop("CONVEYOR_DATABASE_URL", None)
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "conveyor", "serve", "--port", str(port)],
            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            found: list[list[dict[str, object]]] = []

            def listed() -> bool:
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    answer = httpx.get(
                        url + "/api/schedules",
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=5,
                    )
                except httpx.HTTPError:
                    return False
                if answer.status_code == 200 and answer.json():
                    found.append(answer.json())
                    return True
                return False

            wait_until(listed, 60, "the schedules to be listed")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    yearly, weekly = found[-1]
    assert yearly["repository"] == "o/nightly"
    assert yearly["workflow_path"] == ".github/workflows/nightly.yml"
    assert yearly["name"] == "Nightly" and yearly["cron"] == "0 0 1 1 *"
    assert yearly["timezone"] == "UTC"
    assert len(yearly["next"]) == 5
    first = datetime.fromtimestamp(yearly["next"][0], UTC)
    assert (first.month, first.day, first.hour, first.minute) == (1, 1, 0, 0)
    assert first > datetime.now(UTC)
    assert [datetime.fromtimestamp(t, UTC).year for t in yearly["next"]] == [
        first.year + i for i in range(5)
    ]
    assert {datetime.fromtimestamp(t, UTC).weekday() for t in weekly["next"]} == {0}
