"""The content-addressed artifact store: ``<state_dir>/artifacts`` by default, or the
shared directory or S3 bucket ``CONVEYOR_BLOB_STORE`` names (:mod:`conveyor.actions.blobstore`),
so every worker reaches the same artifacts.

* ``blobs/<aa>/<sha256>``: file contents, stored once however many artifacts hold them;
* ``runs/<run key>/<name>.json``: one manifest per artifact of a run (the run's folder
  key, :mod:`conveyor.engine.runkeys`, so runs of two databases sharing the state
  directory never mix), mapping relative paths to blob hashes (plus id, digest, size,
  retention);
* ``builds/<app>/<version>.json``: one manifest per build ``conveyor/publish@v1``
  registered (same format; kept, whatever the retention, as long as the build is
  recorded); promote and deploy hand it out only after checking every blob against it;
* ``next-id``: the counter behind artifact ids.

Blobs and manifests are written whole (temp file and rename, or one S3 PUT). A manifest
is created only if its name is free (a hard link, or S3's ``If-None-Match: *``), so two
jobs -- on any machines -- cannot both create the same name.

With the run's masker, what is stored is masked like everything else conveyor keeps: the
artifact's name (the manifest's file name), the paths inside it and the files' bytes
(:meth:`Masker.mask_stream`); a name is looked up masked too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conveyor.actions.blobstore import BlobStore, DirectoryBlobStore, blob_store
from conveyor.engine.masking import Masker

_FORBIDDEN = set('":<>|*?\\/\r\n')


class ArtifactError(ValueError):
    """The artifact cannot be stored or found; the message says why."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    mode: int


@dataclass(slots=True)
class Manifest:
    id: int
    name: str
    run_id: int
    digest: str
    created: float
    retention_days: int
    files: dict[str, StoredFile] = field(default_factory=dict)
    path: Path = Path()  # in a directory store
    url: str = ""  # file:// or s3:// of the manifest

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files.values())

    def to_json(self) -> dict[str, Any]:
        files = {k: [v.sha256, v.size, v.mode] for k, v in sorted(self.files.items())}
        return {
            "id": self.id, "name": self.name, "run_id": self.run_id, "digest": self.digest,
            "created": self.created, "retention_days": self.retention_days, "files": files,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> Manifest:
        files = {k: StoredFile(v[0], int(v[1]), int(v[2])) for k, v in data["files"].items()}
        return cls(
            int(data["id"]), str(data["name"]), int(data["run_id"]), str(data["digest"]),
            float(data["created"]), int(data["retention_days"]), files, path,
        )  # fmt: skip


def check_name(name: str) -> None:
    bad = sorted(set(name) & _FORBIDDEN)
    if not name.strip() or bad:
        shown = " ".join(repr(c) for c in bad)
        raise ArtifactError(f"artifact name {name!r} is invalid: empty or contains {shown}")


def _digest(files: dict[str, StoredFile]) -> str:
    listing = "".join(f"{k}\0{v.sha256}\n" for k, v in sorted(files.items()))
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


class ArtifactStore:
    """Artifacts and builds over a :class:`~conveyor.actions.blobstore.BlobStore` (a
    directory given as a path, or the one ``CONVEYOR_BLOB_STORE`` names: see
    :meth:`at`)."""

    def __init__(self, root: Path | BlobStore) -> None:
        self.blobs: BlobStore = DirectoryBlobStore(root) if isinstance(root, Path) else root

    @classmethod
    def at(cls, state_dir: Path) -> ArtifactStore:
        """The artifact store jobs of this state directory use, wherever they run."""
        return cls(blob_store(state_dir, "artifacts"))

    @property
    def where(self) -> str:
        return self.blobs.where

    def locate(self, key: str) -> tuple[Path, str]:
        """The local path (directory stores) and the URL of ``key``."""
        if isinstance(self.blobs, DirectoryBlobStore):
            path = self.blobs.path(key)
            return path, path.resolve().as_uri()
        return Path(), f"{self.blobs.where.rstrip('/')}/{key}"

    @staticmethod
    def _manifest_key(run_key: str, name: str) -> str:
        return f"runs/{run_key}/{name}.json"

    @staticmethod
    def _blob_key(sha: str) -> str:
        return f"blobs/{sha[:2]}/{sha}"

    def _put_blob(self, source: Path, masker: Masker | None) -> StoredFile:
        """Store ``source`` (masked) under its content hash."""
        fd, name = tempfile.mkstemp(prefix="conveyor-blob.")
        tmp = Path(name)
        try:
            with source.open("rb") as reader, os.fdopen(fd, "wb") as out:
                if masker is not None and masker.active:
                    masker.mask_stream(reader, out)
                else:
                    shutil.copyfileobj(reader, out, 1 << 20)
            sha = _sha256(tmp)
            key = self._blob_key(sha)
            if not self.blobs.exists(key):
                self.blobs.put_file(key, tmp)
            size = tmp.stat().st_size
        finally:
            tmp.unlink(missing_ok=True)
        return StoredFile(sha, size, source.stat().st_mode & 0o777)

    def get(self, run_key: str, name: str) -> Manifest | None:
        return self._read(self._manifest_key(run_key, name))

    def _read(self, key: str) -> Manifest | None:
        data = self.blobs.read(key)
        if data is None:
            return None
        path, url = self.locate(key)
        manifest = Manifest.from_json(json.loads(data), path)
        manifest.url = url
        return manifest

    def list_run(self, run_key: str) -> list[Manifest]:
        keys = self.blobs.keys(f"runs/{run_key}/")
        found = [self._read(k) for k in keys if k.endswith(".json")]
        return [m for m in found if m is not None]

    def upload(
        self,
        run_key: str,
        run_id: int,
        name: str,
        files: Sequence[tuple[Path, str]],
        *,
        overwrite: bool = False,
        retention_days: int = 90,
        masker: Masker | None = None,
    ) -> Manifest:
        """Store ``(source, relative path)`` pairs as artifact ``name`` of run ``run_id``
        (whose folder is ``run_key``), masked by ``masker``."""
        check_name(name)  # GitHub's rules, on the name as written
        mask = masker.mask if masker is not None else str
        name = mask(name)
        key = self._manifest_key(run_key, name)
        if not overwrite and self.blobs.exists(key):
            raise _duplicate(name, run_id)
        stored = {mask(rel): self._put_blob(source, masker) for source, rel in files}
        path, url = self.locate(key)
        manifest = Manifest(
            self.blobs.increment("next-id"), name, run_id, _digest(stored), time.time(),
            retention_days, stored, path, url,
        )  # fmt: skip
        data = json.dumps(manifest.to_json(), indent=1).encode()
        if overwrite:
            self.blobs.write(key, data)
        elif not self.blobs.create(key, data):
            raise _duplicate(name, run_id)
        return manifest

    # ------------------------------------------------------------------ builds

    @staticmethod
    def build_key(app: str, version: str) -> str:
        """Where a build's manifest is, relative to the store's root."""
        return f"builds/{app}/{version}.json"

    def put_build(
        self,
        app: str,
        version: str,
        files: Sequence[tuple[Path, str]],
        run_id: int,
        *,
        masker: Masker | None = None,
    ) -> Manifest:
        """Store the build ``version`` of ``app`` (``(source, relative path)`` pairs,
        masked by ``masker`` like any artifact). A version is immutable: storing it again
        with other content is refused."""
        check_name(app)
        check_name(version)
        mask = masker.mask if masker is not None else str
        stored = {mask(rel): self._put_blob(source, masker) for source, rel in files}
        key = self.build_key(app, version)
        existing = self._read(key)
        if existing is None:
            path, url = self.locate(key)
            manifest = Manifest(
                self.blobs.increment("next-id"), version, run_id, _digest(stored), time.time(),
                0, stored, path, url,
            )  # fmt: skip
            if self.blobs.create(key, json.dumps(manifest.to_json(), indent=1).encode()):
                return manifest
            existing = self._read(key)
            assert existing is not None
        if existing.digest != _digest(stored):
            raise ArtifactError(
                f"build {version!r} of app {app!r} exists already with other content "
                f"(digest {existing.digest}); versions are immutable: use another name"
            )
        return existing

    def get_build(self, key: str) -> Manifest | None:
        """The build manifest at ``key`` (see :meth:`build_key`)."""
        parts = Path(key).parts
        if Path(key).is_absolute() or ".." in parts or not parts or parts[0] != "builds":
            raise ArtifactError(f"build key {key!r} is outside the artifact store")
        return self._read(key)

    def verify(self, manifest: Manifest, digest: str) -> None:
        """Check every blob's content against the manifest, and the manifest against
        ``digest`` (the one recorded when it was published); raises :class:`ArtifactError`
        naming the first difference. ``digest`` may carry the ``sha256:`` prefix."""
        expected = digest.removeprefix("sha256:")
        if manifest.digest != expected or _digest(manifest.files) != expected:
            raise ArtifactError(
                f"artifact {manifest.name!r}: its file list does not match the recorded digest "
                f"{digest} (the manifest {manifest.url or manifest.path} was changed); "
                "refusing it"
            )
        with tempfile.TemporaryDirectory(prefix="conveyor-verify.") as tmp:
            for rel, stored in sorted(manifest.files.items()):
                copy = Path(tmp) / stored.sha256
                if not self.blobs.get_file(self._blob_key(stored.sha256), copy):
                    raise ArtifactError(
                        f"artifact {manifest.name!r}: the content of {rel!r} is gone"
                    )
                if _sha256(copy) != stored.sha256:
                    _, url = self.locate(self._blob_key(stored.sha256))
                    raise ArtifactError(
                        f"artifact {manifest.name!r}: the content of {rel!r} does not match its "
                        f"sha256 {stored.sha256} (the stored blob {url} was changed); "
                        "refusing it"
                    )
                copy.unlink()

    def materialize(self, manifest: Manifest, dest: Path, *, verify: bool = False) -> int:
        """Write the artifact's files under ``dest``; returns how many. With ``verify``,
        each written file is checked against its sha256 (:class:`ArtifactError` if not)."""
        root = dest.resolve()
        for rel, stored in manifest.files.items():
            target = dest / rel
            if root not in target.resolve().parents:
                raise ArtifactError(f"artifact {manifest.name!r} holds an unsafe path {rel!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            if not self.blobs.get_file(self._blob_key(stored.sha256), target):
                raise ArtifactError(f"artifact {manifest.name!r}: the content of {rel!r} is gone")
            target.chmod(stored.mode or 0o644)
            if verify and _sha256(target) != stored.sha256:
                raise ArtifactError(
                    f"artifact {manifest.name!r}: the content of {rel!r} does not match its "
                    f"sha256 {stored.sha256} (the stored blob was changed); refusing it"
                )
        return len(manifest.files)


def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _duplicate(name: str, run_id: int) -> ArtifactError:
    return ArtifactError(
        f"an artifact named {name!r} already exists in run {run_id}; artifact names must be "
        "unique per run (v4). Use another name or set 'overwrite: true'"
    )
