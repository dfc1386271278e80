"""``conveyor worker``: a Celery worker that runs jobs whose ``runs-on`` labels it has.

It consumes the queue of every non-empty subset of its labels (see
:mod:`conveyor.executors.celery_config`) and, while it lives, keeps a record in Redis
(``<prefix>:worker:<name>``: labels, concurrency, pid; it expires a few seconds after the
worker stops renewing it) so a dispatcher can say when no live worker has a job's labels.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from conveyor.executors import celery_task
from conveyor.executors.celery_app import make_app
from conveyor.executors.celery_config import HEARTBEAT_SECONDS, CelerySettings, normalise


def _announce(settings: CelerySettings, name: str, record: str, stopped: threading.Event) -> None:
    client = celery_task.redis_client(settings.redis_url)
    key = settings.worker_key(name)
    millis = int(settings.lease_seconds * 1000)
    while not stopped.is_set():
        try:
            client.set(key, record, px=millis)
        except Exception as exc:  # Redis away for a moment: keep trying
            print(f"conveyor worker: cannot reach Redis: {exc}", flush=True)
        stopped.wait(HEARTBEAT_SECONDS)
    try:
        client.delete(key)
    except Exception:
        return


def _preload() -> None:
    """Import, once and before the pool forks, what every job would otherwise import in
    its pool process (the first job of each would start a quarter of a second late)."""
    import httpx  # noqa: F401

    import conveyor.actions
    import conveyor.engine.actionrun
    import conveyor.engine.composite
    import conveyor.engine.jsaction
    import conveyor.runners  # noqa: F401


def run_worker(
    labels: Sequence[str],
    concurrency: int,
    settings: CelerySettings,
    *,
    name: str | None = None,
    state_dir: Path | None = None,
    loglevel: str = "WARNING",
) -> int:
    """Serve jobs until stopped (SIGTERM: Celery's warm shutdown finishes running jobs)."""
    own = normalise(labels)
    queues = settings.worker_queues(own)
    worker_name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    celery_task.CONTEXT = celery_task.WorkerContext(settings, worker_name, state_dir)
    record = json.dumps(
        {"labels": list(own), "concurrency": concurrency, "pid": os.getpid(), "since": time.time()}
    )
    stopped = threading.Event()
    announcer = threading.Thread(
        target=_announce, args=(settings, worker_name, record, stopped), daemon=True
    )
    announcer.start()
    _preload()
    app = make_app(settings)
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        f"--concurrency={concurrency}",
        f"--hostname={worker_name}@%h",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-Q",
        ",".join(queues),
    ]
    try:
        app.worker_main(argv)
    finally:
        stopped.set()
        announcer.join(timeout=5)
    return 0
