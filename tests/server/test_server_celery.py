"""`conveyor serve --executor celery`: a signed push runs on a real Celery worker process
(Redis broker), and `/metrics` counts the live workers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest
from server_helpers import (
    commit,
    deliver,
    git,
    handled,
    metric,
    push_payload,
    run_detail,
    run_server,
    run_text,
    wait_until,
)

_HELPERS = Path(__file__).resolve().parents[1] / "executors" / "celery_helpers.py"
_spec = importlib.util.spec_from_file_location("celery_helpers", _HELPERS)
assert _spec is not None and _spec.loader is not None
celery_helpers = sys.modules.get("celery_helpers") or importlib.util.module_from_spec(_spec)
if "celery_helpers" not in sys.modules:
    sys.modules["celery_helpers"] = celery_helpers
    _spec.loader.exec_module(celery_helpers)


def test_a_webhook_run_executes_on_a_celery_worker(
    registered: Path, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with celery_helpers.redis_server(tmp_path / "redis") as redis_url:
        cluster = celery_helpers.Cluster(redis_url, logs=tmp_path)
        monkeypatch.setenv("CONVEYOR_BROKER_URL", redis_url)  # the server's environment
        monkeypatch.setenv("CONVEYOR_CELERY_PREFIX", cluster.prefix)
        try:
            cluster.start_worker("box", "ubuntu-latest,linux", concurrency=1)
            with run_server(state, "--executor", "celery") as server:
                scrape = httpx.get(server.url + "/metrics", timeout=10).text
                assert metric(scrape, "conveyor_workers") == 1.0
                first = git(registered, "rev-parse", "HEAD")
                second = commit(registered, "on a worker")
                payload = push_payload("refs/heads/main", first, second)
                answer = deliver(server.url, "push", payload, delivery="d-celery-1")
                assert answer.status_code == 202, answer.text
                record = handled(server.state, "d-celery-1")
                (run_id,) = record.run_ids
                wait_until(
                    lambda: run_detail(server.state, run_id).run.conclusion is not None,
                    120,
                    "the run to end",
                )
                detail = run_detail(server.state, run_id)
                assert detail.run.conclusion == "success", run_text(server.state, run_id)
                assert f"built {second} on refs/heads/main from push" in run_text(
                    server.state, run_id
                )
                worker_log = (tmp_path / "worker-box.log").read_text(errors="replace")
                assert "succeeded" in worker_log  # the job ran as a Celery task there
                cluster.stop_all()
                wait_until(
                    lambda: (
                        metric(
                            httpx.get(server.url + "/metrics", timeout=10).text, "conveyor_workers"
                        )
                        == 0.0
                    ),
                    30,
                    "the stopped worker to leave the count",
                )
        finally:
            cluster.stop_all()
