"""Reading ``action.yml`` and resolving an action's inputs (defaults, ``with``, INPUT_*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conveyor.engine import exprs
from conveyor.errors import ActionError
from conveyor.workflow.yamlload import load_file

DOCKER_MESSAGE = (
    "needs Docker, which conveyor does not use; run this job on GitHub or replace the "
    "container with setup actions"
)


def load_action_meta(directory: Path) -> dict[str, Any]:
    for name in ("action.yml", "action.yaml"):
        path = directory / name
        if path.is_file():
            doc = load_file(str(path))
            if doc.diagnostics or not isinstance(doc.data, dict):
                problems = "; ".join(d.format() for d in doc.diagnostics) or "not a mapping"
                raise ActionError(f"{path}: invalid action metadata: {problems}")
            return doc.data
    raise ActionError(f"{directory}: no action.yml or action.yaml found")


def runs_using(meta: dict[str, Any]) -> str:
    runs = meta.get("runs") or {}
    return str(runs.get("using", "")).lower() if isinstance(runs, dict) else ""


def resolve_inputs(
    meta: dict[str, Any], given: dict[str, Any], ctx: exprs.Contexts
) -> tuple[dict[str, str], list[str]]:
    """Declared defaults (which may be expressions) overridden by ``with``; plus warnings."""
    declared = meta.get("inputs") or {}
    values: dict[str, str] = {}
    warnings: list[str] = []
    lowered = {str(k).lower(): v for k, v in given.items()}
    for name, raw in declared.items() if isinstance(declared, dict) else []:
        spec = raw if isinstance(raw, dict) else {}
        key = str(name).lower()
        if key in lowered:
            values[str(name)] = exprs.to_str(lowered[key])
        elif spec.get("default") is not None:
            values[str(name)] = exprs.text(spec["default"], ctx)
        else:
            values[str(name)] = ""
            if spec.get("required"):
                warnings.append(f"Input required and not supplied: {name}")
    known = {str(k).lower() for k in declared} if isinstance(declared, dict) else set()
    unexpected = [str(k) for k in given if str(k).lower() not in known]
    if unexpected:
        warnings.append(f"Unexpected input(s) {', '.join(unexpected)}")
        for key in unexpected:
            values[key] = exprs.to_str(given[key])
    return values, warnings


def action_repository(uses: str) -> str:
    """``github.action_repository``: ``owner/repo`` of ``owner/repo@ref``; "" for a local action."""
    return "" if uses.startswith(".") else uses.split("@", 1)[0]


def input_env(inputs: dict[str, str]) -> dict[str, str]:
    """``INPUT_<NAME>``: upper-cased, spaces replaced by ``_`` (as the runner does)."""
    return {f"INPUT_{name.replace(' ', '_').upper()}": value for name, value in inputs.items()}
