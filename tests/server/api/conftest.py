"""One real ``conveyor serve`` for the API tests of a module: a registered repository,
runs recorded by a local ``conveyor run`` before the server starts, and tokens of each
scope made with ``conveyor tokens create``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
from api_helpers import CI, CONVEYOR_TOML, DEPLOY, SLOW, Api, make_token
from server_helpers import conveyor, git, make_remote, run_server


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("api")
    remote = make_remote(root / "remote", {"ci.yml": CI, "slow.yml": SLOW, "deploy.yml": DEPLOY})
    (remote / "conveyor.toml").write_text(CONVEYOR_TOML, encoding="utf-8")
    git(remote, "add", "-A")
    git(remote, "commit", "-qm", "environments")
    state = root / "state"
    state.mkdir()
    conveyor("repos", "add", "o/demo", "--url", str(remote), "--state-dir", str(state))
    checkout = root / "checkout"
    shutil.copytree(remote, checkout)
    done = subprocess.run(
        [sys.executable, "-m", "conveyor", "run", "--state-dir", str(state)],
        cwd=checkout, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # CI's test job fails
    tokens = {
        "read": make_token(state, "alice", "read"),
        "write": make_token(state, "carol", "write"),
        "reviewer": make_token(state, "bob", "reviewer"),
        "other": make_token(state, "eve", "reviewer"),
        "revoked": make_token(state, "mallory", "reviewer"),
    }
    conveyor("tokens", "revoke", tokens["revoked"][:12], "--state-dir", str(state))
    with run_server(state) as server:
        api = Api(server, state, checkout, tokens, [])
        with api.client() as client:
            api.local_runs = [r["id"] for r in client.get("/api/runs").json()["runs"]]
        yield api
