"""A Redis database and key prefix per session, workers stopped after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from celery_helpers import Cluster, redis_server

from moto_helpers import AWS_ENV, moto_process


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


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real moto server process (``python -m moto.server``) on a free port."""
    with moto_process(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture
def s3_bucket(moto_s3: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A fresh bucket on the moto server; boto3 in this process pointed at it."""
    import uuid

    import boto3

    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    bucket = "b-" + uuid.uuid4().hex[:12]
    boto3.client("s3", endpoint_url=moto_s3).create_bucket(Bucket=bucket)
    return bucket
