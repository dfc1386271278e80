"""The action cache: remote actions cloned once into ``<state_dir>/actions/<owner>/<repo>/<ref>``.

Like pre-commit's store: take a per-entry file lock, check again whether another
process already made the entry, clone into a temp dir beside it, drop ``.git`` and
rename the temp dir into place (atomic), cleaning up on failure. A cached copy is
reused without touching the network.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from conveyor.actions.locking import file_lock
from conveyor.errors import ActionError
from conveyor.git import GitError, git

DEFAULT_SOURCE = "https://github.com/{owner}/{repo}"
SOURCE_ENV = "CONVEYOR_ACTIONS_URL"
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")


def source_url(template: str, owner: str, repo: str) -> str:
    """Fill ``{owner}`` and ``{repo}`` into a source URL template."""
    try:
        return template.format(owner=owner, repo=repo)
    except (KeyError, IndexError, ValueError) as exc:
        raise ActionError(
            f"action source template {template!r} is invalid ({exc}); it may only use "
            "{owner} and {repo}, e.g. file:///srv/mirror/{owner}/{repo}.git"
        ) from exc


def source_template(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    """The constructor's template, else ``$CONVEYOR_ACTIONS_URL``, else GitHub."""
    environ = os.environ if env is None else env
    return explicit or environ.get(SOURCE_ENV) or DEFAULT_SOURCE


def _safe(part: str) -> str:
    """One path component: slashes in refs are escaped, ``.``/``..`` cannot escape the cache."""
    quoted = quote(part, safe="")
    return quoted if quoted.strip(".") else quoted.replace(".", "%2E")


class ActionCache:
    """Cloned actions under ``root`` (``<state_dir>/actions``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def entry(self, owner: str, repo: str, ref: str) -> Path:
        return self.root / _safe(owner) / _safe(repo) / _safe(ref)

    def get(self, owner: str, repo: str, ref: str, *, url: str, offline: bool, uses: str) -> Path:
        """The cached checkout of ``owner/repo@ref``, cloning it from ``url`` if needed."""
        entry = self.entry(owner, repo, ref)
        if entry.is_dir():
            return entry
        if offline:
            raise ActionError(
                f"action '{uses}' is not in the action cache ({entry}) and conveyor is offline; "
                f"it would be cloned from {url}. Run once without --offline, pre-populate the "
                f"cache, or set {SOURCE_ENV} to a reachable mirror (e.g. file:///srv/mirror/"
                "{owner}/{repo}.git)"
            )
        entry.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(entry.parent / f".{entry.name}.lock"):
            if entry.is_dir():  # another process made it while we waited
                return entry
            tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent))
            try:
                _clone(url, ref, tmp, uses)
                shutil.rmtree(tmp / ".git", ignore_errors=True)
                tmp.rename(entry)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        return entry


def _clone(url: str, ref: str, dest: Path, uses: str) -> None:
    """Clone ``url`` at ``ref`` (branch, tag or commit) into the empty directory ``dest``."""
    rc, _, err = git(
        "clone", "--quiet", "--depth", "1", "--branch", ref, "--", url, str(dest),
        cwd=dest.parent, check=False,
    )  # fmt: skip
    if rc == 0:
        return
    problem = err.strip()
    if _SHA.match(ref):
        try:
            _clone_commit(url, ref, dest)
            return
        except GitError as exc:
            problem = f"{problem}\n{exc.output.strip()}".strip()
    raise ActionError(
        f"could not fetch action '{uses}' from {url} at '{ref}':\n{problem}\n"
        f"Check the owner/repo and ref, set {SOURCE_ENV} to a mirror URL template "
        "(e.g. file:///srv/mirror/{owner}/{repo}.git), or pre-populate the action cache."
    )


def _clone_commit(url: str, sha: str, dest: Path) -> None:
    for child in dest.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    git("init", "--quiet", cwd=dest)
    rc, _, _ = git("fetch", "--quiet", "--depth", "1", url, sha, cwd=dest, check=False)
    if rc != 0:  # the server refuses to fetch by commit: fetch everything
        git("fetch", "--quiet", url, "+refs/heads/*:refs/remotes/origin/*", "--tags", cwd=dest)
        git("checkout", "--quiet", "--detach", sha, cwd=dest)
        return
    git("checkout", "--quiet", "--detach", "FETCH_HEAD", cwd=dest)
