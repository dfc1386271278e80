"""`conveyor repos add|list|remove` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server_helpers import conveyor


def _fails(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conveyor", *args],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
        check=False,
    )


def test_add_list_remove(tmp_path: Path, monkeypatch: object) -> None:
    state = str(tmp_path / "state")
    out = conveyor(
        "repos", "add", "o/app", "--url", "https://example.com/o/app.git",
        "--webhook-secret-env", "APP_HOOK_SECRET", "--token-env", "APP_TOKEN",
        "--state-dir", state,
    )  # fmt: skip
    assert "registered o/app: https://example.com/o/app.git" in out
    relative = conveyor(
        "repos", "add", "local", "--url", "remote", "--state-dir", state, cwd=tmp_path
    )
    assert str(tmp_path / "remote") in relative  # a local path is kept absolute
    listed = conveyor("repos", "list", "--state-dir", state)
    assert (
        "o/app  https://example.com/o/app.git  secret $APP_HOOK_SECRET  token $APP_TOKEN" in listed
    )
    again = _fails("repos", "add", "o/app", "--url", "x", "--state-dir", state)
    assert again.returncode == 2 and "already registered" in again.stderr
    bad_env = _fails(
        "repos", "add", "o/b", "--url", "x", "--token-env", "$TOK", "--state-dir", state
    )
    assert bad_env.returncode == 2 and "NAME of an environment variable" in bad_env.stderr
    assert "removed o/app" in conveyor("repos", "remove", "o/app", "--state-dir", state)
    gone = _fails("repos", "remove", "o/app", "--state-dir", state)
    assert gone.returncode == 2 and "not registered" in gone.stderr
    assert "o/app" not in conveyor("repos", "list", "--state-dir", state)
