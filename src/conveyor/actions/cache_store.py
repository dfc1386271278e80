"""The cache behind ``actions/cache``: tar.gz archives under ``<state_dir>/cache``, or in
the shared directory or S3 bucket ``CONVEYOR_BLOB_STORE`` names
(:mod:`conveyor.actions.blobstore`), so every worker sees every entry.

Each entry is ``entries/<id>.tar.gz`` plus ``entries/<id>.json`` (key, version,
creation time); the JSON is written last, atomically, so a half-written archive is
never found. ``version`` hashes the ``path`` input, as on GitHub, so different paths
never share an entry. Archive members are ``ws/<path in workspace>`` or
``abs/<absolute path>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conveyor.actions.blobstore import BlobStore, DirectoryBlobStore, blob_store


@dataclass(frozen=True, slots=True)
class CacheEntry:
    key: str
    version: str
    created: float
    archive: str  # its key in the blob store


def paths_version(patterns: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(patterns).encode("utf-8")).hexdigest()


def _member_name(path: Path, workspace: Path) -> str:
    if path == workspace or workspace in path.parents:
        return "ws/" + path.relative_to(workspace).as_posix()
    return "abs" + path.as_posix()


class CacheStore:
    """Cache entries over a :class:`~conveyor.actions.blobstore.BlobStore` (a directory
    given as a path, or the one ``CONVEYOR_BLOB_STORE`` names: see :meth:`at`)."""

    def __init__(self, root: Path | BlobStore) -> None:
        self.blobs: BlobStore = DirectoryBlobStore(root) if isinstance(root, Path) else root

    @classmethod
    def at(cls, state_dir: Path) -> CacheStore:
        """The cache jobs of this state directory use, wherever they run."""
        return cls(blob_store(state_dir, "cache"))

    def _id(self, key: str, version: str) -> str:
        return hashlib.sha256(f"{version}\0{key}".encode()).hexdigest()

    def _all(self, version: str) -> list[CacheEntry]:
        found: list[CacheEntry] = []
        for meta in self.blobs.keys("entries/"):
            if not meta.endswith(".json"):
                continue
            try:
                data = json.loads(self.blobs.read(meta) or b"")
            except ValueError:
                continue
            if data.get("version") == version:
                archive = meta.removesuffix(".json") + ".tar.gz"
                found.append(CacheEntry(data["key"], version, float(data["created"]), archive))
        return sorted(found, key=lambda e: e.created, reverse=True)

    def find(self, key: str, restore_keys: Sequence[str], version: str) -> CacheEntry | None:
        """Exact ``key``; else per restore key an exact then newest prefix match."""
        entries = self._all(version)
        for wanted in (key, *restore_keys):
            exact = [e for e in entries if e.key == wanted]
            if exact:
                return exact[0]
            if wanted != key:
                prefixed = [e for e in entries if e.key.startswith(wanted)]
                if prefixed:
                    return prefixed[0]
        return None

    def save(self, key: str, version: str, files: Sequence[Path], workspace: Path) -> bool:
        """Archive ``files``; False when an entry for ``key`` already exists (kept as is).
        The archive is stored before its record, so a half-written one is never found."""
        entry_id = self._id(key, version)
        meta = f"entries/{entry_id}.json"
        if self.blobs.exists(meta):
            return False
        fd, name = tempfile.mkstemp(prefix=f"conveyor-cache.{entry_id[:12]}.", suffix=".tar.gz")
        os.close(fd)
        tmp = Path(name)
        try:
            with tarfile.open(tmp, "w:gz") as archive:
                for path in files:
                    archive.add(path, _member_name(path, workspace), recursive=False)
            self.blobs.put_file(f"entries/{entry_id}.tar.gz", tmp)
        finally:
            tmp.unlink(missing_ok=True)
        record = {"key": key, "version": version, "created": time.time()}
        return self.blobs.create(meta, json.dumps(record).encode())

    def restore(self, entry: CacheEntry, workspace: Path) -> int:
        """Unpack ``entry`` into place; returns the number of files restored."""
        with tempfile.TemporaryDirectory(prefix="conveyor-restore.") as tmp:
            archive_path = Path(tmp) / "entry.tar.gz"
            if not self.blobs.get_file(entry.archive, archive_path):
                raise OSError(f"cache entry {entry.key!r} is gone from {self.blobs.where}")
            unpacked = Path(tmp) / "files"
            with tarfile.open(archive_path, "r:gz") as archive:
                archive.extractall(unpacked, filter="data")
            count = 0
            for part, target in (("ws", workspace), ("abs", Path("/"))):
                source = unpacked / part
                if source.is_dir():
                    count += sum(1 for p in source.rglob("*") if not p.is_dir())
                    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
            return count
