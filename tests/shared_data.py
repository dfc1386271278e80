"""Where the shared test data lives: the workflow corpus and GitHub's expression cases.

CI clones the repository with ``shared/`` beside it; developers have it at the same
place. ``CONVEYOR_SHARED_DIR`` overrides the location.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    override = os.environ.get("CONVEYOR_SHARED_DIR")
    candidates = [Path(override)] if override else []
    candidates += [_REPO.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if (candidate / "corpus" / "workflows").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise RuntimeError(f"shared test data not found (tried {tried}); set CONVEYOR_SHARED_DIR")


SHARED = shared_dir()
CORPUS = SHARED / "corpus" / "workflows"
CONFORMANCE = SHARED / "conformance" / "github-expressions"
GITHUB_SCHEMA = SHARED / "conformance" / "github-schema"
