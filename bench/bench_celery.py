"""500 one-step jobs across 4 Celery workers on this machine, beside the local executor.

Starts a real Redis (the local one at 127.0.0.1:6379, else a redis-server of its own) and
four ``conveyor worker --concurrency 1`` processes, then runs one workflow of JOBS
independent jobs (each one step: ``sleep STEP_SECONDS``) through the engine with the
Celery executor and ``max_jobs`` = the workers' slots, and again with the local executor.

* queue-to-start: from the moment the engine hands a job to the executor to the moment
  its first step starts (``StepStarted.started_at``, on the worker), p50/p95/max;
* total vs ideal: wall time of the run over ``JOBS * STEP_SECONDS / slots``.

Targets (issue 13): queue-to-start p95 <= 250 ms, total <= 1.5 x ideal.

Usage: ``.venv/bin/python bench/run_all.py celery`` (``BENCH_CELERY_JOBS`` to change 500).
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from conveyor.actions import DefaultActionProvider
from conveyor.engine.events import Event, StepStarted
from conveyor.engine.local_executor import LocalJobExecutor
from conveyor.engine.masking import Masker
from conveyor.engine.ports import JobExecutor
from conveyor.engine.run import run_workflows
from conveyor.engine.runstate import RunOptions, Services
from conveyor.engine.wire import JobOutcome, JobRequest
from conveyor.executors.celery_config import CelerySettings
from conveyor.executors.celery_executor import CeleryJobExecutor
from conveyor.planner.build import plan_workflow
from conveyor.planner.github import RepoFacts
from conveyor.runners import LocalStepRunner
from conveyor.workflow.loader import load_workflow

JOBS = int(os.environ.get("BENCH_CELERY_JOBS", "500"))
WORKERS = 4
STEP_SECONDS = 0.5
CONVEYOR = str(Path(sys.executable).parent / "conveyor")


class _Null:
    def emit(self, event: object) -> None:
        del event


class _Timed:
    """Wraps an executor: when each job was handed over, when its first step started."""

    def __init__(self, inner: JobExecutor) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.waits: list[float] = []

    def execute(
        self,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> JobOutcome:
        handed = time.time()
        first: list[float] = []

        def seen(event: Event) -> None:
            if isinstance(event, StepStarted) and not first:
                first.append(event.started_at or time.time())
            publish(event)

        outcome = self.inner.execute(request, seen, cancel, stop)
        with self.lock:
            self.waits.append(first[0] - handed if first else float("nan"))
        return outcome

    def close(self) -> None:
        self.inner.close()


def _workflow(root: Path) -> Any:
    jobs = {
        f"j{i:03d}": {"runs-on": "linux", "steps": [{"run": f"sleep {STEP_SECONDS}"}]}
        for i in range(JOBS)
    }
    path = root / ".github" / "workflows" / "w.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"on": "push", "jobs": jobs}, sort_keys=False), "utf-8")
    loaded = load_workflow(str(path))
    return plan_workflow(
        loaded.require(), path=str(path), event="push", payload={}, document=loaded.document
    )


def _run(root: Path, jobs: JobExecutor, *, routed: bool) -> tuple[float, list[float]]:
    plan = _workflow(root)
    options = RunOptions(repo=RepoFacts(root=root), state_dir=root / ".conveyor", max_jobs=WORKERS)
    timed = _Timed(jobs)
    masker = Masker()
    services = Services(
        executor=timed,
        actions=DefaultActionProvider(root / ".conveyor"),
        masker=masker,
        sinks=[_Null()],
        labels_routed=routed,
    )
    try:
        began = time.perf_counter()
        reports = run_workflows([plan], options, services)
        elapsed = time.perf_counter() - began
    finally:
        timed.close()
    assert str(reports[0].conclusion) == "success", reports
    return elapsed, timed.waits


def _reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def _redis(tmp: Path) -> Iterator[str]:
    url = "redis://127.0.0.1:6379/13"
    if _reachable(url):
        yield url
        return
    proc = subprocess.Popen(
        ["redis-server", "--port", "6391", "--save", "", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
    )
    url = "redis://127.0.0.1:6391/13"
    try:
        while not _reachable(url):
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def _workers(env: dict[str, str], logs: Path) -> Iterator[None]:
    import redis

    procs = []
    for n in range(WORKERS):
        log = (logs / f"worker{n}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    CONVEYOR,
                    "worker",
                    "--name",
                    f"bench{n}",
                    "--labels",
                    "linux",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "info",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    client = redis.Redis.from_url(env["CONVEYOR_BROKER_URL"])
    prefix = env["CONVEYOR_CELERY_PREFIX"]
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            ready = all(b"ready." in (logs / f"worker{n}.log").read_bytes() for n in range(4))
            if ready and len(list(client.scan_iter(match=f"{prefix}:worker:*"))) == WORKERS:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("the workers did not start")
        yield
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(30)
        keys = list(client.scan_iter(match=f"*{prefix}*"))
        if keys:
            client.delete(*keys)


def _stats(elapsed: float, waits: list[float]) -> dict[str, float]:
    ideal = JOBS * STEP_SECONDS / WORKERS
    ordered = sorted(w for w in waits if w == w)
    return {
        "jobs": JOBS,
        "total_s": round(elapsed, 2),
        "ideal_s": round(ideal, 2),
        "total_over_ideal": round(elapsed / ideal, 3),
        "queue_to_start_p50_ms": round(statistics.median(ordered) * 1000, 1),
        "queue_to_start_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "queue_to_start_max_ms": round(ordered[-1] * 1000, 1),
        "missing_starts": len(waits) - len(ordered),
    }


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-celery-") as tmp, _redis(Path(tmp)) as url:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
        env.update(CONVEYOR_BROKER_URL=url, CONVEYOR_CELERY_PREFIX="bench" + uuid.uuid4().hex[:8])
        logs = root / "logs"
        logs.mkdir()
        (root / "celery").mkdir()
        (root / "local").mkdir()
        with _workers(env, logs):
            settings = CelerySettings.from_env(env)
            celery = _stats(*_run(root / "celery", CeleryJobExecutor({}, settings), routed=True))
        masker = Masker()
        local_exec = LocalJobExecutor(
            LocalStepRunner(), DefaultActionProvider(root / "local" / ".conveyor"), masker, {}
        )
        local = _stats(*_run(root / "local", local_exec, routed=False))
    return {
        "workers": WORKERS,
        "step_seconds": STEP_SECONDS,
        "celery": celery,
        "local": local,
        "targets": {"queue_to_start_p95_ms": 250, "total_over_ideal": 1.5},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=1))
