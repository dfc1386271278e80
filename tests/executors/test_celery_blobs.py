"""Artifacts and caches between jobs on different workers, through the blob store."""

from __future__ import annotations

from pathlib import Path

import pytest
from celery_helpers import Cluster, run_conveyor

from e2e.e2e_helpers import make_repo
from moto_helpers import AWS_ENV

HANDOVER = """
on: push
jobs:
  make:
    runs-on: [linux, maker]
    steps:
      - run: mkdir -p out && echo "made on $CONVEYOR_WORKER" > out/note.txt
      - uses: actions/upload-artifact@v4
        with:
          name: note
          path: out/
      - uses: actions/cache/save@v4
        with:
          path: out
          key: note-${{ github.sha }}
  take:
    needs: make
    runs-on: [linux, taker]
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: note
          path: got
      - run: echo "taker read '$(cat got/note.txt)' on $CONVEYOR_WORKER"
      - uses: actions/cache/restore@v4
        with:
          path: out
          key: note-${{ github.sha }}
          fail-on-cache-miss: true
      - run: echo "cache gave '$(cat out/note.txt)'"
"""


@pytest.mark.parametrize("backend", ["shared-directory", "s3"])
def test_an_artifact_and_a_cache_cross_workers(
    backend: str, cluster: Cluster, tmp_path: Path, request: pytest.FixtureRequest
):
    if backend == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        extra = {
            **AWS_ENV,
            "CONVEYOR_BLOB_STORE": f"s3://{bucket}/ci",
            "CONVEYOR_S3_ENDPOINT": request.getfixturevalue("moto_s3"),
            "AWS_CONFIG_FILE": str(tmp_path / "nothing"),
        }
    else:
        extra = {"CONVEYOR_BLOB_STORE": str(tmp_path / "shared")}
    # each worker has a state directory of its own: only the blob store is shared
    for name in ("maker", "taker"):
        cluster.start_worker(name, f"linux,{name}", state_dir=tmp_path / f"{name}-state", **extra)
    repo = make_repo(tmp_path / "repo", {"ci.yml": HANDOVER})
    done = run_conveyor(cluster, repo, "run", "--executor", "celery")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "taker read 'made on maker' on taker" in done.stdout
    assert "cache gave 'made on maker'" in done.stdout
    if backend == "s3":
        import boto3

        client = boto3.client("s3", endpoint_url=extra["CONVEYOR_S3_ENDPOINT"])
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
        assert any(k.startswith("ci/artifacts/runs/") for k in keys)
        assert any(k.startswith("ci/cache/entries/") for k in keys)
    else:
        assert list((tmp_path / "shared" / "artifacts" / "runs").glob("*/note.json"))
        assert list((tmp_path / "shared" / "cache" / "entries").glob("*.tar.gz"))
    assert not (repo / ".conveyor" / "artifacts").exists()
