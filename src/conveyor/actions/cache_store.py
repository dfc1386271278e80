"""The local cache behind ``actions/cache``: tar.gz archives under ``<state_dir>/cache``.

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

from conveyor.actions.locking import atomic_write_text, file_lock


@dataclass(frozen=True, slots=True)
class CacheEntry:
    key: str
    version: str
    created: float
    archive: Path


def paths_version(patterns: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(patterns).encode("utf-8")).hexdigest()


def _member_name(path: Path, workspace: Path) -> str:
    if path == workspace or workspace in path.parents:
        return "ws/" + path.relative_to(workspace).as_posix()
    return "abs" + path.as_posix()


class CacheStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries = root / "entries"

    def _id(self, key: str, version: str) -> str:
        return hashlib.sha256(f"{version}\0{key}".encode()).hexdigest()

    def _all(self, version: str) -> list[CacheEntry]:
        found: list[CacheEntry] = []
        if not self.entries.is_dir():
            return found
        for meta in self.entries.glob("*.json"):
            try:
                data = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            archive = meta.with_suffix(".tar.gz")
            if data.get("version") == version and archive.is_file():
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
        """Archive ``files``; False when an entry for ``key`` already exists (kept as is)."""
        entry_id = self._id(key, version)
        meta = self.entries / f"{entry_id}.json"
        self.entries.mkdir(parents=True, exist_ok=True)
        with file_lock(self.entries / f".{entry_id}.lock"):
            if meta.is_file():
                return False
            fd, name = tempfile.mkstemp(prefix=f".{entry_id}.", suffix=".tmp", dir=self.entries)
            os.close(fd)
            tmp = Path(name)
            try:
                with tarfile.open(tmp, "w:gz") as archive:
                    for path in files:
                        archive.add(path, _member_name(path, workspace), recursive=False)
                tmp.replace(meta.with_suffix(".tar.gz"))
            finally:
                tmp.unlink(missing_ok=True)
            record = {"key": key, "version": version, "created": time.time()}
            atomic_write_text(meta, json.dumps(record))
        return True

    def restore(self, entry: CacheEntry, workspace: Path) -> int:
        """Unpack ``entry`` into place; returns the number of files restored."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="restore.", dir=self.root) as tmp:
            with tarfile.open(entry.archive, "r:gz") as archive:
                archive.extractall(tmp, filter="data")
            count = 0
            for part, target in (("ws", workspace), ("abs", Path("/"))):
                source = Path(tmp) / part
                if source.is_dir():
                    count += sum(1 for p in source.rglob("*") if not p.is_dir())
                    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
            return count
