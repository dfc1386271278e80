"""Where artifacts and caches keep their bytes: a port and its two backends.

Jobs may run on several machines (``conveyor worker``), so the artifact store
(:mod:`conveyor.actions.artifact_store`) and the cache (:mod:`conveyor.actions.cache_store`)
write through a :class:`BlobStore` every worker can reach:

* a directory (the default: ``<state dir>/artifacts`` and ``<state dir>/cache``, or under
  ``CONVEYOR_BLOB_STORE=/shared/path`` -- a directory all workers mount);
* an S3-compatible bucket (``CONVEYOR_BLOB_STORE=s3://bucket/prefix``, with
  ``CONVEYOR_S3_ENDPOINT`` for MinIO, Ceph or moto; credentials as boto3 finds them).

Keys are ``/``-separated relative names. ``write`` replaces whole objects atomically (a
reader sees the old or the new bytes); ``create`` writes only when the key is absent and
says whether it did, which is what keeps artifact names unique per run and build versions
immutable across machines.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from conveyor.actions.locking import atomic_write_bytes, file_lock
from conveyor.errors import UsageError

BLOB_STORE_ENV = "CONVEYOR_BLOB_STORE"
S3_ENDPOINT_ENV = "CONVEYOR_S3_ENDPOINT"


class BlobStore(Protocol):
    """Named byte objects; safe to use from several processes and machines at once."""

    @property
    def where(self) -> str:
        """Where it is, for messages (a directory or ``s3://bucket/prefix``)."""
        ...

    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, data: bytes) -> None: ...

    def create(self, key: str, data: bytes) -> bool:
        """Write ``key`` only if it does not exist; False (and nothing written) if it does."""
        ...

    def put_file(self, key: str, source: Path) -> None: ...

    def get_file(self, key: str, dest: Path) -> bool:
        """Copy ``key`` to ``dest``; False when there is no such key."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix``, sorted."""
        ...

    def increment(self, key: str) -> int:
        """The counter at ``key`` (1 the first time), then one more; atomic."""
        ...


class DirectoryBlobStore:
    """Files under ``root`` (a local or shared directory), written to temp files and
    renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def where(self) -> str:
        return str(self.root)

    def path(self, key: str) -> Path:
        target = self.root / key
        if ".." in Path(key).parts or Path(key).is_absolute():
            raise ValueError(f"blob key {key!r} leaves {self.root}")
        return target

    def read(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, key: str, data: bytes) -> None:
        atomic_write_bytes(self.path(key), data)

    def create(self, key: str, data: bytes) -> bool:
        target = self.path(key)
        with self._staged(target) as staged:
            staged.write_bytes(data)
            try:
                os.link(staged, target)  # atomic, and fails when the name is taken
            except FileExistsError:
                return False
        return True

    def put_file(self, key: str, source: Path) -> None:
        target = self.path(key)
        with self._staged(target) as staged:
            shutil.copyfile(source, staged)
            staged.replace(target)

    def get_file(self, key: str, dest: Path) -> bool:
        source = self.path(key)
        if not source.is_file():
            return False
        shutil.copyfile(source, dest)
        return True

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def keys(self, prefix: str) -> list[str]:
        folder, _, start = prefix.rpartition("/")
        base = self.root / folder if folder else self.root
        if not base.is_dir():
            return []
        found = []
        for path in base.rglob("*"):
            name = path.relative_to(self.root).as_posix()
            if path.is_file() and name.startswith(prefix) and not path.name.startswith("."):
                found.append(name)
        del start
        return sorted(found)

    def increment(self, key: str) -> int:
        counter = self.path(key)
        with file_lock(counter.parent / ".lock"):
            value = int(counter.read_text()) if counter.is_file() else 1
            atomic_write_bytes(counter, str(value + 1).encode())
        return value

    @contextlib.contextmanager
    def _staged(self, target: Path) -> Iterator[Path]:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        staged = Path(name)
        try:
            yield staged
        finally:
            staged.unlink(missing_ok=True)


@contextlib.contextmanager
def _as_os_error(where: str) -> Iterator[None]:
    """boto3's errors as OSError naming the bucket, as the actions expect of storage."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise OSError(f"{where}: {exc}") from exc


class S3BlobStore:
    """Objects under ``prefix`` in ``bucket`` (boto3; any S3-compatible endpoint). Errors
    of the service or the network are raised as OSError naming the bucket."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        try:
            import boto3
        except ImportError:  # pragma: no cover - boto3 is in the aws extra
            raise UsageError(
                f"{BLOB_STORE_ENV}=s3://{bucket}: needs boto3; pip install 'conveyor[aws]'"
            ) from None
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client: Any = boto3.client("s3", endpoint_url=endpoint_url)

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> bytes | None:
        with _as_os_error(self.where):
            try:
                answer = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
            except self._client.exceptions.NoSuchKey:
                return None
            return bytes(answer["Body"].read())

    def write(self, key: str, data: bytes) -> None:
        with _as_os_error(self.where):
            self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def create(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        with _as_os_error(self.where):
            try:
                self._client.put_object(
                    Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*"
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                    return False
                raise
            return True

    def put_file(self, key: str, source: Path) -> None:
        with _as_os_error(self.where):
            self._client.upload_file(str(source), self.bucket, self._key(key))

    def get_file(self, key: str, dest: Path) -> bool:
        from botocore.exceptions import ClientError

        with _as_os_error(self.where):
            try:
                self._client.download_file(self.bucket, self._key(key), str(dest))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return False
                raise
            return True

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        with _as_os_error(self.where):
            try:
                self._client.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return False
                raise
            return True

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        skip = len(self._key(""))
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix)
        )
        with _as_os_error(self.where):
            for page in pages:
                found.extend(str(item["Key"])[skip:] for item in page.get("Contents", ()))
        return sorted(found)

    def increment(self, key: str) -> int:
        """Claims ``<key>.d/<n>`` with a conditional create, from the hint at ``key``."""
        hint = self.read(key)
        value = int(hint) if hint else 1
        while not self.create(f"{key}.d/{value}", b""):
            value += 1
        self.write(key, str(value + 1).encode())
        return value


def blob_store(state_dir: Path, area: str) -> BlobStore:
    """The store of ``area`` (``artifacts`` or ``cache``) as ``CONVEYOR_BLOB_STORE``
    says: unset, under the state directory; a path, under it; ``s3://bucket/prefix``."""
    setting = os.environ.get(BLOB_STORE_ENV, "").strip()
    if not setting:
        return DirectoryBlobStore(Path(state_dir) / area)
    if setting.startswith("s3://"):
        bucket, _, prefix = setting.removeprefix("s3://").partition("/")
        if not bucket:
            raise UsageError(f"{BLOB_STORE_ENV}={setting}: expected s3://bucket[/prefix]")
        endpoint = os.environ.get(S3_ENDPOINT_ENV) or None
        return S3BlobStore(bucket, f"{prefix.strip('/')}/{area}".strip("/"), endpoint)
    path = Path(setting.removeprefix("file://"))
    if not path.is_absolute():
        raise UsageError(f"{BLOB_STORE_ENV}={setting}: expected an absolute path or s3://")
    return DirectoryBlobStore(path / area)
