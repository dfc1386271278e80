"""Read an action's metadata (``action.yml``) once: validated by the workflow layer, and
the kind of action its ``runs.using`` makes it (composite, node or docker)."""

from __future__ import annotations

from pathlib import Path

from conveyor.errors import ActionError
from conveyor.workflow.loader import LoadedAction, load_action

METADATA_FILES = ("action.yml", "action.yaml")
NODE_RUNTIMES = frozenset({"node12", "node16", "node20", "node24"})


def find_metadata(directory: Path) -> Path | None:
    for name in METADATA_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def read_metadata(metadata: Path, uses: str) -> tuple[str, LoadedAction]:
    """The action's kind and its loaded, validated metadata; ``ActionError`` listing every
    problem (with file:line:col) when the file is invalid."""
    loaded = load_action(str(metadata))
    problems = loaded.errors
    if loaded.model is None or problems:
        listed = "\n".join(d.format() for d in problems or loaded.diagnostics)
        raise ActionError(f"action '{uses}' has invalid metadata:\n{listed}")
    using = str(loaded.model.runs.using).strip().lower()
    if using in {"composite", "docker"}:
        return using, loaded
    if using in NODE_RUNTIMES:
        return "node", loaded
    raise ActionError(
        f"{metadata}: action '{uses}' uses unsupported runtime '{using}'; supported: "
        f"composite, docker, {', '.join(sorted(NODE_RUNTIMES))}"
    )
