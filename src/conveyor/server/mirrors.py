"""A bare mirror per registered repository under the state directory, and a checkout of
the exact commit each run runs on.

``<state>/server/mirrors/<name>.git`` is ``git clone --mirror`` of the repository's URL,
fetched again (``git fetch --prune``) when a webhook names a commit it does not hold.
``<state>/server/checkouts/<name>/<sha>`` is a detached linked worktree of the mirror at
that commit, made once per commit and shared by the runs on it (jobs copy it into their
own workspaces, so nothing writes to it). Fetches and checkouts of one repository are
serialised by a lock (a file lock too, for servers sharing the state directory);
different repositories proceed in parallel.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from conveyor.errors import UserError
from conveyor.git.command import GitError, git, git_out

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def safe_name(name: str) -> str:
    """``name`` as one path component."""
    return _SAFE.sub("_", name).strip("._") or "repository"


class Mirrors:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "server"
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        """This repository's lock: between threads, and (a file lock) between servers
        sharing the state directory."""
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        folder = self.root / "mirrors"
        folder.mkdir(parents=True, exist_ok=True)
        with lock, (folder / f"{safe_name(name)}.lock").open("a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def mirror_dir(self, name: str) -> Path:
        return self.root / "mirrors" / f"{safe_name(name)}.git"

    def checkout_dir(self, name: str, sha: str) -> Path:
        return self.root / "checkouts" / safe_name(name) / sha

    # ------------------------------------------------------------ mirror

    def sync(self, name: str, url: str) -> Path:
        """Clone the mirror the first time, fetch it afterwards; returns its directory."""
        with self._lock(name):
            return self._sync(name, url)

    def ensure(self, name: str, url: str) -> Path:
        """The mirror, cloned the first time (not fetched again)."""
        mirror = self.mirror_dir(name)
        if (mirror / "HEAD").is_file():
            return mirror
        return self.sync(name, url)

    def _sync(self, name: str, url: str) -> Path:
        mirror = self.mirror_dir(name)
        if not (mirror / "HEAD").is_file():
            mirror.parent.mkdir(parents=True, exist_ok=True)
            partial = mirror.with_name(mirror.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            try:
                git("clone", "--mirror", "--quiet", url, str(partial), cwd=mirror.parent)
            except GitError as exc:
                shutil.rmtree(partial, ignore_errors=True)
                raise UserError(
                    f"repository {name!r}: cannot clone {url}: {exc}; check the URL "
                    "(conveyor repos list) and the server's access to it"
                ) from exc
            partial.rename(mirror)
            return mirror
        try:
            git("fetch", "--prune", "--quiet", "origin", cwd=mirror)
        except GitError as exc:
            raise UserError(f"repository {name!r}: cannot fetch {url}: {exc}") from exc
        return mirror

    def has_commit(self, name: str, sha: str) -> bool:
        mirror = self.mirror_dir(name)
        if not _SHA.match(sha) or not (mirror / "HEAD").is_file():
            return False
        rc, _, _ = git("cat-file", "-e", f"{sha}^{{commit}}", cwd=mirror, check=False)
        return rc == 0

    def resolve(self, name: str, url: str, ref: str) -> str | None:
        """The commit ``ref`` (a full ref, a branch or tag name, or a sha) names in the
        mirror after a fetch; None when it names none."""
        self.sync(name, url)
        return self.lookup(name, ref)

    def lookup(self, name: str, ref: str) -> str | None:
        """As :meth:`resolve`, in the mirror as it is (no fetch)."""
        mirror = self.mirror_dir(name)
        for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            found = git_out(
                "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=mirror
            )
            if found:
                return found
        return None

    def default_branch(self, name: str) -> str:
        head = git_out("symbolic-ref", "--quiet", "--short", "HEAD", cwd=self.mirror_dir(name))
        return head or "main"

    # ------------------------------------------------------------ checkouts

    def checkout(self, name: str, url: str, sha: str) -> Path:
        """A checkout of commit ``sha`` (fetched first when the mirror lacks it)."""
        if not _SHA.match(sha):
            raise UserError(f"repository {name!r}: {sha!r} is not a full commit sha")
        if not self.has_commit(name, sha):
            self.sync(name, url)
            if not self.has_commit(name, sha):
                raise UserError(
                    f"repository {name!r}: commit {sha} is not in {url} (after a fetch); "
                    "was it pushed, or force-pushed away?"
                )
        target = self.checkout_dir(name, sha)
        with self._lock(name):
            if (target / ".git").exists():
                return target
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            mirror = self.mirror_dir(name)
            git("worktree", "prune", cwd=mirror, check=False)
            git("worktree", "add", "--detach", "--quiet", str(target), sha, cwd=mirror)
        return target
