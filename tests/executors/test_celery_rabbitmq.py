"""RabbitMQ as the broker (events, leases and the registry stay on Redis)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from celery_helpers import Cluster, run_conveyor

from conveyor.executors.celery_config import CelerySettings
from e2e.e2e_helpers import make_repo

AMQP = "amqp://guest:guest@127.0.0.1:5672//"


def _rabbit_listens() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5672)) == 0


@pytest.mark.skipif(not _rabbit_listens(), reason="no RabbitMQ at 127.0.0.1:5672")
def test_jobs_reach_workers_through_rabbitmq(cluster: Cluster, tmp_path: Path):
    extra = {"CONVEYOR_BROKER_URL": AMQP, "CONVEYOR_REDIS_URL": cluster.redis_url}
    cluster.start_worker("rabbit", "linux,x64", **extra)
    repo = make_repo(
        tmp_path / "repo",
        {
            "ci.yml": """
            on: push
            jobs:
              hop:
                runs-on: [linux, x64]
                steps:
                  - run: echo "hopped to $CONVEYOR_WORKER"
            """
        },
    )
    try:
        done = run_conveyor(cluster, repo, "run", "--executor", "celery", **extra)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "hopped to rabbit" in done.stdout
    finally:
        cluster.stop_all()
        from kombu import Connection

        settings = CelerySettings(prefix=cluster.prefix)
        with Connection(AMQP) as connection:
            channel = connection.default_channel
            for queue in settings.worker_queues(["linux", "x64"]):
                channel.queue_delete(queue)
