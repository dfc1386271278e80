"""Real Redis, real ``conveyor worker`` processes and real ``conveyor run`` processes.

Each test session gets a key and queue prefix of its own and a Redis database number of
its own, so parallel CI runs sharing one Redis never meet.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT

CONVEYOR = str(Path(sys.executable).parent / "conveyor")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """The local Redis at 127.0.0.1:6379, else a redis-server of our own on a free port;
    yields the URL of a database no other session uses."""
    base = "redis://127.0.0.1:6379"
    proc = None
    if not reachable(base + "/0"):
        port = free_port()
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", str(tmp)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"redis://127.0.0.1:{port}"
        deadline = time.time() + 10
        while not reachable(base + "/0"):
            assert time.time() < deadline, "redis-server did not start"
            time.sleep(0.1)
    client = redis.Redis.from_url(base + "/0")
    db = 1 + int(client.incr("conveyor-tests:db-counter")) % 15  # 1..15, 0 left alone
    try:
        yield f"{base}/{db}"
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)


@dataclass
class Cluster:
    """The settings every process of a test shares, and the workers it started."""

    redis_url: str
    prefix: str = field(default_factory=lambda: "t" + uuid.uuid4().hex[:10])
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: Path = Path()

    @property
    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT
        }
        env.update(
            CONVEYOR_BROKER_URL=self.redis_url,
            CONVEYOR_CELERY_PREFIX=self.prefix,
            CI="true",
        )
        env.update(extra)
        return env

    def start_worker(
        self,
        name: str,
        labels: str,
        concurrency: int = 2,
        state_dir: Path | None = None,
        **extra: str,
    ) -> None:
        log = (self.logs / f"worker-{name}.log").open("wb")
        own = ["--state-dir", str(state_dir)] if state_dir else []
        proc = subprocess.Popen(
            [CONVEYOR, "worker", "--name", name, "--labels", labels,
             "--concurrency", str(concurrency), "--loglevel", "info", *own],
            env=self.env(**extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.workers[name] = proc
        self.wait_ready(name)

    def wait_ready(self, name: str, timeout: float = 30.0) -> None:
        """Until the worker announces itself and its Celery consumer is listening."""
        deadline = time.time() + timeout
        log = self.logs / f"worker-{name}.log"
        while time.time() < deadline:
            proc = self.workers[name]
            assert proc.poll() is None, log.read_text(errors="replace")
            if self.client.exists(f"{self.prefix}:worker:{name}") and b"ready." in (
                log.read_bytes()
            ):
                return
            time.sleep(0.1)
        raise AssertionError(f"worker {name} not ready:\n{log.read_text(errors='replace')}")

    def live_workers(self) -> dict[str, list[str]]:
        found = {}
        for key in self.client.scan_iter(match=f"{self.prefix}:worker:*"):
            value = self.client.get(key)
            if value is not None:
                found[key.decode().rsplit(":", 1)[1]] = json.loads(value)["labels"]
        return found

    def kill_tree(self, name: str) -> list[int]:
        """kill -9 the worker and every process under it (its pool, its jobs' steps)."""
        root = self.workers[name].pid
        pids = [root, *descendants(root)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.workers[name].wait(10)
        return pids

    def stop_all(self) -> None:
        for name, proc in self.workers.items():
            if proc.poll() is None:
                for pid in descendants(proc.pid):  # steps left by a failed test
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
            del name

    def dump(self) -> bytes:
        """Every key of this session and everything it holds, as bytes."""
        client = self.client
        parts: list[bytes] = []
        for key in client.scan_iter(match="*"):
            parts.append(key)
            kind = client.type(key).decode()
            if kind == "string":
                parts.append(client.get(key) or b"")
            elif kind == "list":
                parts.extend(client.lrange(key, 0, -1))
            elif kind == "hash":
                for k, v in client.hgetall(key).items():
                    parts.extend((k, v))
            elif kind == "set":
                parts.extend(client.smembers(key))
            elif kind == "zset":
                parts.extend(client.zrange(key, 0, -1))
            elif kind == "stream":
                for _id, fields in client.xrange(key):
                    for k, v in fields.items():
                        parts.extend((k, v))
        return b"\n".join(parts)


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (from /proc), children first found first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def run_conveyor(
    cluster: Cluster, repo: Path, *args: str, timeout: float = 120.0, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONVEYOR, *args],
        cwd=repo,
        env=cluster.env(**extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_run(cluster: Cluster, repo: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CONVEYOR, "run", "--executor", "celery", *args],
        cwd=repo,
        env=cluster.env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_file(path: Path, timeout: float = 30.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")
