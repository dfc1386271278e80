"""A real moto server process for the tests that talk to AWS (Lambda, S3, CloudFront,
CloudWatch): ``python -m moto.server`` on a free port, no in-process patching."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_process(log_dir: Path) -> Iterator[str]:
    """The server's URL once it answers, until the block ends; its output in
    ``log_dir/moto.log`` (shown when it does not start)."""
    log = log_dir / "moto.log"
    port = _free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **AWS_ENV},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                httpx.get(f"{url}/moto-api/", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "moto did not start:\n" + log.read_text()
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)
