"""The local, content-addressed artifact store under ``<state_dir>/artifacts``.

* ``blobs/<aa>/<sha256>``: file contents, stored once however many artifacts hold them;
* ``runs/<run key>/<name>.json``: one manifest per artifact of a run (the run's folder
  key, :mod:`conveyor.engine.runkeys`, so runs of two databases sharing the state
  directory never mix), mapping relative paths to blob hashes (plus id, digest, size,
  retention);
* ``builds/<app>/<version>.json``: one manifest per build ``conveyor/publish@v1``
  registered (same format; kept, whatever the retention, as long as the build is
  recorded); promote and deploy hand it out only after checking every blob against it;
* ``next-id``: the counter behind artifact ids.

Blobs and manifests are written to temp files and renamed into place. Manifest
creation holds the store lock so two jobs cannot both create the same name.

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

from conveyor.actions.locking import atomic_write_text, file_lock
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
    path: Path = Path()

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
    def __init__(self, root: Path) -> None:
        self.root = root

    def _manifest_path(self, run_key: str, name: str) -> Path:
        return self.root / "runs" / run_key / f"{name}.json"

    def _blob(self, sha: str) -> Path:
        return self.root / "blobs" / sha[:2] / sha

    def _put_blob(self, source: Path, masker: Masker | None) -> StoredFile:
        """Store ``source`` (masked) under its content hash."""
        staging = self.root / "blobs" / ".incoming"
        staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=staging)
        tmp = Path(name)
        try:
            with source.open("rb") as reader, os.fdopen(fd, "wb") as out:
                if masker is not None and masker.active:
                    masker.mask_stream(reader, out)
                else:
                    shutil.copyfileobj(reader, out, 1 << 20)
            sha = _sha256(tmp)
            blob = self._blob(sha)
            if not blob.is_file():
                blob.parent.mkdir(parents=True, exist_ok=True)
                tmp.replace(blob)
            size = blob.stat().st_size
        finally:
            tmp.unlink(missing_ok=True)
        return StoredFile(sha, size, source.stat().st_mode & 0o777)

    def get(self, run_key: str, name: str) -> Manifest | None:
        return self._read(self._manifest_path(run_key, name))

    def _read(self, path: Path) -> Manifest | None:
        if not path.is_file():
            return None
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")), path)

    def _next_id(self) -> int:
        """The next artifact id (the caller holds the store lock)."""
        counter = self.root / "next-id"
        next_id = int(counter.read_text()) if counter.is_file() else 1
        atomic_write_text(counter, str(next_id + 1))
        return next_id

    def list_run(self, run_key: str) -> list[Manifest]:
        folder = self.root / "runs" / run_key
        found = [self.get(run_key, p.stem) for p in sorted(folder.glob("*.json"))]
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
        if not overwrite and self.get(run_key, name) is not None:
            raise _duplicate(name, run_id)
        stored = {mask(rel): self._put_blob(source, masker) for source, rel in files}
        path = self._manifest_path(run_key, name)
        with file_lock(self.root / ".lock"):
            if not overwrite and path.is_file():
                raise _duplicate(name, run_id)
            manifest = Manifest(
                self._next_id(), name, run_id, _digest(stored), time.time(), retention_days,
                stored, path,
            )  # fmt: skip
            atomic_write_text(path, json.dumps(manifest.to_json(), indent=1))
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
        path = self.root / self.build_key(app, version)
        with file_lock(self.root / ".lock"):
            existing = self._read(path)
            if existing is not None:
                if existing.digest != _digest(stored):
                    raise ArtifactError(
                        f"build {version!r} of app {app!r} exists already with other content "
                        f"(digest {existing.digest}); versions are immutable: use another name"
                    )
                return existing
            manifest = Manifest(
                self._next_id(), version, run_id, _digest(stored), time.time(), 0, stored, path
            )
            atomic_write_text(path, json.dumps(manifest.to_json(), indent=1))
        return manifest

    def get_build(self, key: str) -> Manifest | None:
        """The build manifest at ``key`` (see :meth:`build_key`)."""
        path = self.root / key
        if self.root.resolve() not in path.resolve().parents:
            raise ArtifactError(f"build key {key!r} is outside the artifact store")
        return self._read(path)

    def verify(self, manifest: Manifest, digest: str) -> None:
        """Check every blob's content against the manifest, and the manifest against
        ``digest`` (the one recorded when it was published); raises :class:`ArtifactError`
        naming the first difference. ``digest`` may carry the ``sha256:`` prefix."""
        expected = digest.removeprefix("sha256:")
        if manifest.digest != expected or _digest(manifest.files) != expected:
            raise ArtifactError(
                f"artifact {manifest.name!r}: its file list does not match the recorded digest "
                f"{digest} (the manifest {manifest.path} was changed); refusing it"
            )
        for rel, stored in sorted(manifest.files.items()):
            blob = self._blob(stored.sha256)
            if not blob.is_file():
                raise ArtifactError(f"artifact {manifest.name!r}: the content of {rel!r} is gone")
            if _sha256(blob) != stored.sha256:
                raise ArtifactError(
                    f"artifact {manifest.name!r}: the content of {rel!r} does not match its "
                    f"sha256 {stored.sha256} (the stored blob {blob} was changed); refusing it"
                )

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
            shutil.copyfile(self._blob(stored.sha256), target)
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
