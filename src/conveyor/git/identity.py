"""Which repository this is, as the history database keys it.

The key comes from the ``origin`` remote when there is one, normalised so every URL form
of one repository gives the same key (``git@github.com:o/r.git``,
``https://user:token@github.com/o/r`` and ``ssh://git@github.com:22/o/r.git`` are all
``github.com/o/r``), and never keeps credentials. A remote that is a local path (or a
``file://`` URL) gives that path, absolute. Without ``origin`` the key is the
repository's own absolute path (outside git: the directory's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conveyor.git.command import GitError, git_out
from conveyor.git.remotes import repository_from_url

_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True, slots=True)
class RepositoryIdentity:
    key: str  # github.com/o/r, or an absolute path
    name: str  # o/r, or local/<directory name>: for display
    url: str | None  # the origin URL without credentials; None without origin


def strip_credentials(url: str) -> str:
    """``url`` without user name or password (``https://tok@h/o/r`` -> ``https://h/o/r``)."""
    text = url.strip()
    if "://" in text:
        parts = urlsplit(text)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    match = _SCP_LIKE.match(text)
    if match and not _is_local_path(text):
        return f"{match.group('host')}:{match.group('path')}"
    return text


def _is_local_path(text: str) -> bool:
    return text.startswith(("/", ".", "~")) or bool(_WINDOWS_DRIVE.match(text))


def _hosted_key(host: str, path: str) -> str:
    clean = "/".join(p for p in path.replace("\\", "/").split("/") if p)
    return f"{host.lower()}/{clean.removesuffix('.git')}".rstrip("/")


def key_from_url(url: str, base: Path) -> str:
    """The repository key of a remote URL; relative local paths resolve against ``base``."""
    text = url.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme == "file" or not parts.hostname:
            return str((base / parts.path).resolve())
        return _hosted_key(parts.hostname, parts.path)
    match = _SCP_LIKE.match(text)
    if match and not _is_local_path(text):
        return _hosted_key(match.group("host"), match.group("path"))
    return str((base / Path(text).expanduser()).resolve())


def _local_name(path: Path) -> str:
    return f"local/{path.name or 'repository'}"


def identity_of(root: Path, origin_url: str | None) -> RepositoryIdentity:
    """The identity of the repository at ``root`` whose ``origin`` is ``origin_url``."""
    root = root.resolve()
    if not origin_url or not origin_url.strip():
        return RepositoryIdentity(str(root), _local_name(root), None)
    key = key_from_url(origin_url, root)
    if key.startswith("/"):
        name = repository_from_url(key) or _local_name(Path(key))
    else:
        name = repository_from_url(key) or key
    return RepositoryIdentity(key, name, strip_credentials(origin_url))


def repository_identity(path: Path | str) -> RepositoryIdentity:
    """The identity of the repository containing ``path`` (never fails: a plain directory
    is its own repository)."""
    start = Path(path).resolve()
    try:
        top = git_out("rev-parse", "--show-toplevel", cwd=start) if start.is_dir() else None
    except GitError:  # git itself is missing
        top = None
    if not top:
        return identity_of(start, None)
    root = Path(top)
    return identity_of(root, git_out("remote", "get-url", "origin", cwd=root))
