"""Parse a ``uses:`` value into what it points at."""

from __future__ import annotations

import re
from dataclasses import dataclass

from conveyor.errors import ActionError

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, slots=True)
class LocalRef:
    path: str  # as written, starting with ./


@dataclass(frozen=True, slots=True)
class DockerRef:
    image: str


@dataclass(frozen=True, slots=True)
class RemoteRef:
    owner: str
    repo: str
    subpath: str  # "" for the repository root
    ref: str | None  # None when ``@ref`` is missing

    @property
    def name(self) -> str:
        """``owner/repo[/subpath]`` in lower case: the key of the built-in registry."""
        base = f"{self.owner}/{self.repo}".lower()
        return f"{base}/{self.subpath.lower()}" if self.subpath else base

    @property
    def is_workflow(self) -> bool:
        return is_workflow_path(self.subpath)


UsesRef = LocalRef | DockerRef | RemoteRef


def is_workflow_path(path: str) -> bool:
    """A reusable workflow: a .yml/.yaml file under ``.github/workflows/``."""
    normal = path.removeprefix("./")
    return normal.startswith(".github/workflows/") and normal.endswith((".yml", ".yaml"))


def parse_uses(uses: str) -> UsesRef:
    """``./path``, ``docker://image`` or ``owner/repo[/sub/path][@ref]``."""
    text = uses.strip()
    if text.startswith(("./", "../")) or text == ".":
        return LocalRef(text)
    if text.startswith("docker://"):
        image = text.removeprefix("docker://")
        if not image:
            raise ActionError(f"uses: '{uses}': docker:// needs an image name")
        return DockerRef(image)
    path, at, ref = text.partition("@")
    parts = path.split("/")
    if len(parts) < 2 or not all(_NAME.match(p) for p in parts) or (at and not ref):
        raise ActionError(
            f"uses: '{uses}' is not a valid action reference; expected './local/path', "
            "'docker://image' or 'owner/repo[/path]@ref'"
        )
    return RemoteRef(parts[0], parts[1], "/".join(parts[2:]), ref if at else None)
