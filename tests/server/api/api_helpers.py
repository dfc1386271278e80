"""Helpers of the API tests: the workflows of the served repository, the server with its
tokens (:class:`Api`), a token made with ``conveyor tokens create``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from server_helpers import Server, conveyor, wait_until

CI = """\
name: CI
on:
  push:
  workflow_dispatch:
    inputs:
      who:
        type: string
        default: nobody
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      greeting: ${{ steps.hi.outputs.greeting }}
    steps:
      - id: hi
        run: |
          echo "hello ${{ inputs.who || 'nobody' }}"
          echo "greeting=hi" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - name: tests
        run: echo testing; exit 1
"""

SLOW = """\
name: Slow
on: workflow_dispatch
jobs:
  tick:
    runs-on: ubuntu-latest
    steps:
      - name: ticks
        run: |
          for i in 1 2 3 4 5 6 7 8; do echo "tick $i"; sleep 0.5; done
"""

DEPLOY = """\
name: Deploy
on: workflow_dispatch
jobs:
  ship:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo shipped
"""

CONVEYOR_TOML = """\
[environments.production]
reviewers = ["bob"]
"""


@dataclass
class Api:
    server: Server
    state: Path
    checkout: Path  # a clone where `conveyor run` recorded the first runs
    tokens: dict[str, str]  # read, write, reviewer (bob), other (a reviewer: eve), revoked
    local_runs: list[int]

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, who: str = "read") -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[who]}"}, timeout=60
        )

    def wait_run(self, run_id: int, timeout: float = 120) -> dict[str, object]:
        found: list[dict[str, object]] = []

        def ended() -> bool:
            with self.client() as client:
                detail = client.get(f"/api/runs/{run_id}").json()
            if detail["run"]["status"] == "completed":
                found.append(detail)
                return True
            return False

        wait_until(ended, timeout, f"run {run_id} to end")
        return found[0]


def make_token(state: Path, user: str, scope: str) -> str:
    out = conveyor("tokens", "create", "--user", user, "--scope", scope, "--state-dir", str(state))
    return out.strip().splitlines()[-1]
