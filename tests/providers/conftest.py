"""Fixtures of the provider tests: a state directory whose deployments are stopped
after each test, which then fails if any process of it is still running; a real moto
server process for the aws-lambda provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from providers_helpers import marked_processes

from conveyor.providers.process import ProcessProvider, stop_all
from moto_helpers import AWS_ENV, moto_process


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    state.mkdir()
    yield state
    stop_all(state)
    left = marked_processes(state)
    assert not left, f"processes left behind: {left}"


@pytest.fixture
def provider(state_dir: Path) -> ProcessProvider:
    return ProcessProvider(state_dir)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real moto server process on a free port, its Lambda without Docker (moto's
    ``lambda_simple`` backend, chosen through its /moto-api/config endpoint)."""
    with moto_process(tmp_path_factory.mktemp("moto")) as url:
        answer = httpx.post(f"{url}/moto-api/config", json={"lambda": {"use_docker": False}})
        assert answer.json()["lambda"] == {"use_docker": False}
        yield url


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials for boto3, and no AWS configuration of the machine's."""
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
