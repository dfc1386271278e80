"""Shared fixtures: a repository in a temp dir, and the real server in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tickets.repository import Repository

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    return Repository(tmp_path / "tickets.db")


class Client:
    """A tiny JSON client for the running server."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Client]:
    """``python -m tickets`` on a free port, as it runs in production; or, with
    ``$TICKETS_URL`` set, the deployed service there (a deploy's verify step)."""
    if deployed := os.environ.get("TICKETS_URL"):
        yield Client(deployed.rstrip("/"))
        return
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "tickets", "--port", "0", "--db", str(tmp_path / "t.db")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("listening on http://"), f"server said {first!r}"
        yield Client(first.removeprefix("listening on "))
    finally:
        process.terminate()
        process.wait(timeout=10)
