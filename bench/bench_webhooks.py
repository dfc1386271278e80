"""Webhook ingestion: signed GitHub push deliveries against a real `conveyor serve`.

A real git repository with a one-step workflow is registered (with a webhook secret);
the server runs as its own process (uvicorn, SQLite, local executor). ``UNIQUE``
deliveries are each sent ``COPIES`` times -- the copies concurrently, shuffled among the
others, as GitHub's redeliveries and retries arrive -- by ``CONCURRENCY`` clients at once.
Every request carries an ``X-Hub-Signature-256`` the server checks.

Reported: requests per second over the whole burst (target >= 200) and the server's CPU
time per request during it (runs started meanwhile included), then, once every
delivery is handled and its run ended, lost runs (a delivery with none) and duplicated
runs (a delivery with more than one, or more runs than deliveries): both must be 0.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

UNIQUE = 200
COPIES = 4
CONCURRENCY = 32
SECRET = "bench-secret"
WORKFLOW = "on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n"


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _burst(url: str, requests: list[tuple[str, bytes]]) -> tuple[float, dict[int, int]]:
    """Send every request, ``CONCURRENCY`` at a time (aiohttp: a client light enough not
    to be what is measured on a small machine)."""
    codes: dict[int, int] = {}
    limit = asyncio.Semaphore(CONCURRENCY)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def one(delivery: str, body: bytes) -> None:
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": signature,
            }
            async with limit, client.post(url, data=body, headers=headers) as answer:
                await answer.read()
                codes[answer.status] = codes.get(answer.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(one(d, b) for d, b in requests))
        return time.perf_counter() - started, codes


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux), its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_handled(state: Path, deliveries: list[str], timeout: float) -> list[Any]:
    from conveyor.store.recorder import SqlRunStore
    from conveyor.store.server_store import ServerStore

    deadline = time.monotonic() + timeout
    with ServerStore(state) as store:
        while time.monotonic() < deadline:
            counts = store.count_deliveries()
            waiting = counts.get("queued", 0) + counts.get("starting", 0)
            if waiting == 0 and sum(counts.values()) >= len(deliveries):
                break
            time.sleep(0.5)
        records = [store.delivery(d) for d in deliveries]
    runs = SqlRunStore(state, recover=False)
    try:
        while time.monotonic() < deadline:
            listed = runs.list_runs(limit=None)
            if all(r.status == "completed" for r in listed):
                return [records, listed]
            time.sleep(0.5)
        return [records, runs.list_runs(limit=None)]
    finally:
        runs.close()


def main() -> dict[str, Any]:
    from conveyor.store.server_store import ServerRepository, ServerStore

    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        root = Path(tmp)
        remote = root / "remote"
        (remote / ".github" / "workflows").mkdir(parents=True)
        (remote / ".github" / "workflows" / "one.yml").write_text(WORKFLOW)
        _git(remote, "init", "-q", "-b", "main")
        _git(remote, "add", "-A")
        _git(remote, "commit", "-qm", "one")
        head = _git(remote, "rev-parse", "HEAD")
        state = root / "state"
        state.mkdir()
        with ServerStore(state) as store:
            store.add_repository(ServerRepository("o/bench", str(remote), "BENCH_HOOK_SECRET"))
        port = _free_port()
        env = {**os.environ, "BENCH_HOOK_SECRET": SECRET, "CONVEYOR_HOME": str(state)}
        env.pop("CONVEYOR_DATABASE_URL", None)
        log = (root / "server.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "conveyor", "serve", "--port", str(port), "--no-schedules",
             "--log-level", "warning"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            payload = {
                "ref": "refs/heads/main",
                "before": "0" * 40,
                "after": head,
                "repository": {"full_name": "o/bench", "name": "bench"},
                "sender": {"login": "bench"},
                "commits": [],
            }
            ids = [f"bench-{n}" for n in range(UNIQUE)]
            requests = [(d, json.dumps({**payload, "n": i}).encode()) for i, d in enumerate(ids)]
            burst = requests * COPIES
            random.Random(7).shuffle(burst)
            cpu_before = _cpu_seconds(server.pid)
            seconds, codes = asyncio.run(_burst(base + "/webhooks/github", burst))
            cpu_burst = _cpu_seconds(server.pid) - cpu_before
            records, listed = _wait_handled(state, ids, 600)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(120)
            log.close()
        per_delivery = [len(r.run_ids) if r is not None else 0 for r in records]
        run_ids = [i for r in records if r is not None for i in r.run_ids]
        return {
            "requests": len(burst),
            "unique_deliveries": UNIQUE,
            "copies_each": COPIES,
            "concurrency": CONCURRENCY,
            "seconds": round(seconds, 3),
            "requests_per_second": round(len(burst) / seconds, 1),
            "server_cpu_ms_per_request": round(cpu_burst / len(burst) * 1000, 3),
            "load_average_1m": round(os.getloadavg()[0], 1),
            "status_codes": {str(k): v for k, v in sorted(codes.items())},
            "lost_runs": sum(1 for n in per_delivery if n == 0),
            "duplicated_runs": sum(n - 1 for n in per_delivery if n > 1)
            + max(0, len(listed) - UNIQUE),
            "runs_recorded": len(listed),
            "distinct_run_ids": len(set(run_ids)),
            "runs_succeeded": sum(1 for r in listed if r.conclusion == "success"),
        }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
