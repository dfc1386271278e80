"""The blob store port behind artifacts and caches: a directory, and S3 on a moto server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conveyor.actions.artifact_store import ArtifactError, ArtifactStore
from conveyor.actions.blobstore import BlobStore, DirectoryBlobStore, S3BlobStore, blob_store
from conveyor.actions.cache_store import CacheStore, paths_version
from conveyor.engine.masking import Masker


@pytest.fixture(params=["directory", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "directory":
        return DirectoryBlobStore(tmp_path / "blobs")
    bucket = request.getfixturevalue("s3_bucket")
    return S3BlobStore(bucket, "team/artifacts", request.getfixturevalue("moto_s3"))


def test_the_contract_holds_on_both_backends(store: BlobStore, tmp_path: Path):
    assert store.read("a/b.json") is None
    assert not store.exists("a/b.json")
    store.write("a/b.json", b"one")
    assert store.read("a/b.json") == b"one"
    store.write("a/b.json", b"two")
    assert store.read("a/b.json") == b"two"
    assert store.create("a/c.json", b"first")
    assert not store.create("a/c.json", b"second")
    assert store.read("a/c.json") == b"first"
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * 100)
    store.put_file("blobs/x/1", source)
    copy = tmp_path / "copy.bin"
    assert store.get_file("blobs/x/1", copy)
    assert copy.read_bytes() == source.read_bytes()
    assert not store.get_file("blobs/x/missing", tmp_path / "nothing")
    assert store.keys("a/") == ["a/b.json", "a/c.json"]
    assert store.keys("blobs/") == ["blobs/x/1"]


def test_counters_never_hand_out_a_number_twice(store: BlobStore):
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(5):
            value = store.increment("next-id")
            with lock:
                got.append(value)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == list(range(1, 21))


def test_artifacts_and_builds_live_in_the_bucket(s3_bucket: str, moto_s3: str, tmp_path: Path):
    import boto3

    store = ArtifactStore(S3BlobStore(s3_bucket, "ci/artifacts", moto_s3))
    files = tmp_path / "out"
    files.mkdir()
    (files / "app.txt").write_text("hello token-abcdef123\n")
    (files / "run.sh").write_text("#!/bin/sh\n")
    (files / "run.sh").chmod(0o755)
    pairs = [(files / "app.txt", "app.txt"), (files / "run.sh", "bin/run.sh")]
    masker = Masker()
    masker.add("token-abcdef123")
    manifest = store.upload("7-abc", 7, "dist", pairs, masker=masker)
    assert manifest.id == 1 and manifest.url.startswith(f"s3://{s3_bucket}/ci/artifacts/runs/")
    with pytest.raises(ArtifactError, match="already exists in run 7"):
        store.upload("7-abc", 7, "dist", pairs)
    assert [m.name for m in store.list_run("7-abc")] == ["dist"]
    dest = tmp_path / "dest"
    assert store.materialize(store.get("7-abc", "dist") or manifest, dest, verify=True) == 2
    assert (dest / "app.txt").read_text() == "hello ***\n"  # stored masked
    assert (dest / "bin" / "run.sh").stat().st_mode & 0o777 == 0o755
    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=moto_s3).list_objects_v2(Bucket=s3_bucket)[
            "Contents"
        ]
    ]
    assert "ci/artifacts/runs/7-abc/dist.json" in keys
    assert sum(k.startswith("ci/artifacts/blobs/") for k in keys) == 2
    build = store.put_build("web", "v1", pairs, 7)
    store.verify(build, build.digest)
    assert store.put_build("web", "v1", pairs, 7).digest == build.digest
    with pytest.raises(ArtifactError, match="immutable"):
        store.put_build("web", "v1", pairs[:1], 7)


def test_cache_entries_live_in_the_bucket(s3_bucket: str, moto_s3: str, tmp_path: Path):
    cache = CacheStore(S3BlobStore(s3_bucket, "ci/cache", moto_s3))
    workspace = tmp_path / "ws"
    (workspace / "deps").mkdir(parents=True)
    (workspace / "deps" / "lib.txt").write_text("v1\n")
    version = paths_version(["deps"])
    assert cache.save("deps-linux-1", version, [workspace / "deps" / "lib.txt"], workspace)
    assert not cache.save("deps-linux-1", version, [workspace / "deps" / "lib.txt"], workspace)
    other = tmp_path / "other"
    other.mkdir()
    entry = cache.find("deps-linux-2", ["deps-linux-"], version)
    assert entry is not None and entry.key == "deps-linux-1"
    assert cache.restore(entry, other) == 1
    assert (other / "deps" / "lib.txt").read_text() == "v1\n"
    assert cache.find("deps-linux-1", [], paths_version(["other"])) is None


def test_the_setting_picks_the_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("CONVEYOR_BLOB_STORE", raising=False)
    found = blob_store(tmp_path, "cache")
    assert isinstance(found, DirectoryBlobStore) and found.root == tmp_path / "cache"
    monkeypatch.setenv("CONVEYOR_BLOB_STORE", str(tmp_path / "shared"))
    found = blob_store(tmp_path, "artifacts")
    assert isinstance(found, DirectoryBlobStore)
    assert found.root == tmp_path / "shared" / "artifacts"
    monkeypatch.setenv("CONVEYOR_BLOB_STORE", "s3://bucket/some/prefix")
    found = blob_store(tmp_path, "artifacts")
    assert isinstance(found, S3BlobStore) and found.where == "s3://bucket/some/prefix/artifacts"
