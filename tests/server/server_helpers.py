"""Helpers for the server tests: a real git repository as the remote, a real
``conveyor serve`` process on a free port, signed webhooks, a recording HTTP server."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

SECRET_ENV = "CONVEYOR_TEST_WEBHOOK_SECRET"
SECRET = "s3cr3t-for-tests"
TOKEN_ENV = "CONVEYOR_TEST_STATUS_TOKEN"
TOKEN = "tok-123"

CI = """\
name: ci
on:
  push:
    branches: [main, "feature/**"]
    tags: ["v*"]
  pull_request:
    types: [opened, synchronize, reopened, labeled]
  create:
  release:
    types: [published]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "built $GITHUB_SHA on $GITHUB_REF from $GITHUB_EVENT_NAME" && cat marker.txt
      - run: >-
          echo "secret=${CONVEYOR_TEST_WEBHOOK_SECRET:-unset}
          token=${CONVEYOR_TEST_STATUS_TOKEN:-unset}"
"""


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_remote(root: Path, workflows: Mapping[str, str] | None = None) -> Path:
    """A git repository with ``.github/workflows`` and one commit on ``main``."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in (workflows or {"ci.yml": CI}).items():
        (folder / name).write_text(text, encoding="utf-8")
    (root / "marker.txt").write_text("first\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    return root


def commit(root: Path, text: str, branch: str = "main") -> str:
    current = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    if current != branch:
        git(root, "checkout", "-q", "-B", branch)
    (root / "marker.txt").write_text(text + "\n", encoding="utf-8")
    git(root, "commit", "-qam", text)
    return git(root, "rev-parse", "HEAD")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def conveyor(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "conveyor", *args],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@dataclass
class Server:
    url: str
    state: Path
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def logs(self) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def server_env(state: Path, database_url: str | None = None) -> dict[str, str]:
    env = {
        "CONVEYOR_HOME": str(state),
        SECRET_ENV: SECRET,
        TOKEN_ENV: TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    if database_url:
        env["CONVEYOR_DATABASE_URL"] = database_url
    return env


@contextlib.contextmanager
def run_server(
    state: Path,
    *extra: str,
    database_url: str | None = None,
    cwd: Path | None = None,
    schedules: bool = False,
) -> Iterator[Server]:
    """``conveyor serve`` as a real process on a free port, until the block ends."""
    port = free_port()
    env = {**os.environ, **server_env(state, database_url)}
    if database_url is None:
        env.pop("CONVEYOR_DATABASE_URL", None)
    log = state.parent / f"server-{port}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conveyor",
            "serve",
            "--port",
            str(port),
            *([] if schedules else ["--no-schedules"]),
            *extra,
        ],
        env=env,
        cwd=cwd or state.parent,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", state, process, log, env)
    try:
        wait_until(lambda: _healthy(server), 60, f"server on {port} (log {log})")
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        handle.close()


def _healthy(server: Server) -> bool:
    if server.process.poll() is not None:
        raise AssertionError("the server exited:\n" + server.log.read_text(errors="replace"))
    try:
        return httpx.get(server.url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    url: str,
    event: str,
    payload: Any,
    *,
    delivery: str,
    secret: str | None = SECRET,
    signature: str | None = None,
    content_type: str = "application/json",
    body: bytes | None = None,
    query: str = "",
) -> httpx.Response:
    data = body if body is not None else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": content_type}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    elif secret is not None:
        headers["X-Hub-Signature-256"] = sign(data, secret)
    return httpx.post(f"{url}/webhooks/github{query}", content=data, headers=headers, timeout=30)


def repo_block(name: str = "o/demo") -> dict[str, Any]:
    return {
        "full_name": name,
        "name": name.rsplit("/", maxsplit=1)[-1],
        "default_branch": "main",
        "owner": {"login": name.split("/", maxsplit=1)[0]},
    }


def push_payload(ref: str, before: str, after: str, **more: Any) -> dict[str, Any]:
    return {
        "ref": ref,
        "before": before,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "repository": repo_block(),
        "sender": {"login": "alice"},
        "commits": [],
        **more,
    }


@dataclass
class Recorder:
    """A local HTTP server that records every request (method, path, headers, JSON)."""

    url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def recording_server() -> Iterator[Recorder]:
    state = Recorder()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                state.calls.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "json": json.loads(body or b"null"),
                    }
                )
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- reading the state


def runs(state: Path, database_url: str | None = None) -> list[Any]:
    """Every recorded run, oldest first."""
    from conveyor.store.recorder import SqlRunStore

    store = SqlRunStore(state, database_url, recover=False)
    try:
        return list(reversed(store.list_runs(limit=None)))
    finally:
        store.close()


def run_detail(state: Path, run_id: int, database_url: str | None = None) -> Any:
    from conveyor.store.recorder import SqlRunStore

    store = SqlRunStore(state, database_url, recover=False)
    try:
        return store.get_run(run_id)
    finally:
        store.close()


def run_text(state: Path, run_id: int) -> str:
    from conveyor.store.recorder import SqlRunStore

    store = SqlRunStore(state, recover=False)
    try:
        return "\n".join(line.text for line in store.lines(run_id))
    finally:
        store.close()


def delivery(state: Path, delivery_id: str, database_url: str | None = None) -> Any:
    from conveyor.store.server_store import ServerStore

    with ServerStore(state, database_url) as store:
        return store.delivery(delivery_id)


def deliveries(state: Path, database_url: str | None = None) -> dict[str, int]:
    from conveyor.store.server_store import ServerStore

    with ServerStore(state, database_url) as store:
        return store.count_deliveries()


def handled(state: Path, delivery_id: str, database_url: str | None = None) -> Any:
    """The delivery once the dispatcher handled it and its runs ended."""
    found: list[Any] = []

    def done() -> bool:
        record = delivery(state, delivery_id, database_url)
        if record is None or record.status in ("queued", "starting"):
            return False
        ended = [run_detail(state, i, database_url) for i in record.run_ids]
        if any(d is None or d.run.status != "completed" for d in ended):
            return False
        found.append(record)
        return True

    wait_until(done, 120, f"delivery {delivery_id}")
    return found[0]


def metric(text: str, name: str) -> float:
    """The sum of a metric's samples named exactly ``name`` (any labels)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key.split("{", 1)[0] == name:
            total += float(value)
    return total
