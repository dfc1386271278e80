"""A Redis database and key prefix per session, workers stopped after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from celery_helpers import Cluster, redis_server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def cluster(redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    logs = tmp_path / "logs"
    logs.mkdir()
    found = Cluster(redis_url, logs=logs)
    try:
        yield found
    finally:
        found.stop_all()
        client = found.client
        keys = list(client.scan_iter(match=f"*{found.prefix}*"))
        if keys:
            client.delete(*keys)
