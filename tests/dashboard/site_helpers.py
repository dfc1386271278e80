"""A real project for the dashboard's browser tests: a git repository with workflows and
a conveyor.toml (environments, a process-provider app), runs made by `conveyor run`,
test results ingested by `conveyor ingest`, a reviewer's API token, and `conveyor serve`
on a free loopback port in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT

CONVEYOR = str(Path(sys.executable).parent / "conveyor")
CHROMIUM = "/usr/bin/chromium"

APP = """
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok" if self.path == "/healthz" else (HERE / "VERSION").read_bytes().strip()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""

CONFIG = f"""
[environments.dev]

[environments.production]
reviewers = ["alice"]

[apps.web]
provider = "process"
command = "{sys.executable} app.py"
health = "/healthz"
drain-timeout = "3s"
stop-timeout = "3s"
"""

CI = r"""
name: PR validation
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12"]
    steps:
      - name: Compile
        run: |
          echo "::group::Install tools"
          echo "installing tools for ${{ matrix.python }}"
          echo "::endgroup::"
          printf '\033[32mcompiled ok\033[0m\n'
          {
            echo "### Build ${{ matrix.python }}"
            echo "| check | result |"
            echo "|---|---|"
            echo "| lint | <script>alert(1)</script> passed |"
          } >> "$GITHUB_STEP_SUMMARY"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - name: Unit tests
        run: |
          echo "::error file=src/app.py,line=12::boom happened"
          exit 1
  package:
    needs: [build, test]
    runs-on: ubuntu-latest
    steps:
      - run: echo packaging
"""

SLOW = """
name: slow
on: workflow_dispatch
jobs:
  ticks:
    runs-on: ubuntu-latest
    steps:
      - name: Tick
        run: |
          sleep 2
          for i in $(seq 1 40); do echo "tick $i"; sleep 0.25; done
"""

DEV = """
name: deliver dev
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: ${{ steps.publish.outputs.version }}
    steps:
      - uses: actions/checkout@v4
      - id: publish
        uses: conveyor/publish@v1
        with: { app: web, path: app }
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment: dev
    steps:
      - uses: conveyor/deploy@v1
        with:
          app: web
          version: ${{ needs.build.outputs.version }}
          smoke: GET /healthz 200 ok
"""

CANARY = """
name: canary dev
on: workflow_dispatch
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: dev
    steps:
      - uses: actions/checkout@v4
      - id: publish
        uses: conveyor/publish@v1
        with: { app: web, path: app }
      - uses: conveyor/deploy@v1
        with:
          app: web
          version: ${{ steps.publish.outputs.version }}
          smoke: GET /healthz 200 ok
          strategy: canary
          steps: |
            - weight: 25
            - pause: {}
"""

RELEASE = """
name: release
on: workflow_dispatch
jobs:
  approve:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo "released after approval"
"""

NIGHTLY = """
name: nightly
on:
  schedule:
    - cron: "30 2 * * *"
      timezone: "Europe/Paris"
jobs:
  one:
    runs-on: ubuntu-latest
    steps:
      - run: echo nightly
"""


def junit(cases: dict[str, str]) -> str:
    """A JUnit report: test name -> passed | failed."""
    body = []
    for name, status in cases.items():
        inner = ""
        if status == "failed":
            inner = (
                f'<failure message="AssertionError: expected 2 got 3 in {name}">'
                "Traceback (most recent call last):\n  tests/test_app.py:41: in "
                f"{name}\nE   AssertionError: expected 2 got 3</failure>"
            )
        body.append(
            f'<testcase classname="tests.test_app" name="{name}" file="tests/test_app.py" '
            f'line="41" time="{0.5 if name == "test_slow" else 0.01}">{inner}</testcase>'
        )
    return (
        '<?xml version="1.0"?><testsuites><testsuite name="unit" tests="'
        f'{len(cases)}">{"".join(body)}</testsuite></testsuites>'
    )


def env_for() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("CONVEYOR_") or k in ("CONVEYOR_EXECUTOR", NO_AGENT)
    }  # fmt: skip
    env["CI"] = "true"
    for key in ("NAME", "EMAIL"):
        env[f"GIT_AUTHOR_{key}"] = env[f"GIT_COMMITTER_{key}"] = (
            "tester" if key == "NAME" else "t@example.com"
        )
    return env


def conveyor(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [CONVEYOR, *args], cwd=repo, env=env_for(), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    if check:
        assert done.returncode == 0, f"conveyor {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env_for(), capture_output=True, text=True, check=True
    ).stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    repo: Path
    state: Path
    url: str
    token: str

    def start_run(self, workflow: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [CONVEYOR, "run", "-W", f".github/workflows/{workflow}", "--event",
             "workflow_dispatch"],
            cwd=self.repo, env=env_for(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip

    def api(self, path: str) -> object:
        answer = httpx.get(
            self.url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )
        answer.raise_for_status()
        return answer.json()


def make_project(root: Path) -> Path:
    repo = root / "shop"
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (repo / "app").mkdir()
    (repo / "app" / "app.py").write_text(textwrap.dedent(APP).lstrip())
    (repo / "app" / "VERSION").write_text("one\n")
    (repo / "conveyor.toml").write_text(CONFIG)
    for name, text in {"ci.yml": CI, "slow.yml": SLOW, "dev.yml": DEV, "release.yml": RELEASE,
                       "canary.yml": CANARY, "nightly.yml": NIGHTLY}.items():  # fmt: skip
        (workflows / name).write_text(text.lstrip())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    return repo


def fill_history(repo: Path) -> None:
    """Runs and results: a failed CI run, two deploys to dev (one, two), test results
    over four commits with a test that flips."""
    conveyor(repo, "run", "-W", ".github/workflows/ci.yml", check=False)
    conveyor(repo, "run", "-W", ".github/workflows/dev.yml")
    (repo / "app" / "VERSION").write_text("two\n")
    git(repo, "commit", "-qam", "two")
    conveyor(repo, "run", "-W", ".github/workflows/dev.yml")
    reports = repo.parent / "reports"
    reports.mkdir()
    for index, flaky in enumerate(("passed", "failed", "passed", "failed")):
        report = reports / f"r{index}.xml"
        report.write_text(
            junit(
                {
                    "test_ok": "passed",
                    "test_slow": "passed",
                    "test_flaky": flaky,
                    "test_broken": "failed" if index == 3 else "passed",
                }
            )
        )
        commit = f"{index:040x}"
        conveyor(repo, "ingest", str(report), "--tier", "unit", "--commit", commit)
        bench = reports / f"bench{index}.txt"
        bench.write_text(f"parse_workflow {12.5 + index} ms\n")
        conveyor(repo, "perf", "ingest", str(bench), "--commit", commit, "--branch", "main")


@contextmanager
def serving(repo: Path) -> Iterator[Site]:
    state = repo / ".conveyor"
    made = conveyor(repo, "tokens", "create", "--user", "alice", "--scope", "reviewer")
    token = made.stdout.split()[0]
    port = free_port()
    log = (repo.parent / "server.log").open("w")
    server = subprocess.Popen(
        [CONVEYOR, "serve", "--host", "127.0.0.1", "--port", str(port), "--state-dir",
         str(state)],
        cwd=repo, env=env_for(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, (repo.parent / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield Site(repo, state, url, token)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        from conveyor.providers.process import stop_all

        stop_all(state)
