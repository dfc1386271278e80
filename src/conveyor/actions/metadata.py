"""Read an action's metadata (``action.yml``) to know how to run it: ``runs.using``.

The workflow layer's :func:`conveyor.workflow.load_action` validates the file; if
that package cannot be imported, a plain YAML read of ``runs.using`` is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conveyor.errors import ActionError

METADATA_FILES = ("action.yml", "action.yaml")
NODE_RUNTIMES = frozenset({"node12", "node16", "node20", "node24"})


def find_metadata(directory: Path) -> Path | None:
    for name in METADATA_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _using_from_yaml(metadata: Path, uses: str) -> str:
    try:
        data: Any = yaml.safe_load(metadata.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise ActionError(f"action '{uses}': cannot read {metadata}: {exc}") from exc
    runs = data.get("runs") if isinstance(data, dict) else None
    using = runs.get("using") if isinstance(runs, dict) else None
    if not isinstance(using, str):
        raise ActionError(
            f"{metadata}: action '{uses}' has no 'runs.using'; expected composite, node20 or docker"
        )
    return using


def _using(metadata: Path, uses: str) -> str:
    try:
        from conveyor.workflow import load_action
    except ImportError:
        return _using_from_yaml(metadata, uses)
    loaded = load_action(str(metadata))
    problems = loaded.errors
    if loaded.model is None or problems:
        listed = "\n".join(d.format() for d in problems or loaded.diagnostics)
        raise ActionError(f"action '{uses}' has invalid metadata:\n{listed}")
    return str(loaded.model.runs.using)


def action_kind(metadata: Path, uses: str) -> str:
    """``composite``, ``node`` or ``docker`` from ``runs.using`` in ``metadata``."""
    using = _using(metadata, uses)
    kind = using.strip().lower()
    if kind in {"composite", "docker"}:
        return kind
    if kind in NODE_RUNTIMES:
        return "node"
    raise ActionError(
        f"{metadata}: action '{uses}' uses unsupported runtime '{using}'; supported: "
        f"composite, docker, {', '.join(sorted(NODE_RUNTIMES))}"
    )
