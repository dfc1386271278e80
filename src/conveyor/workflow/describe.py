"""Human wording for places and values in a workflow, used in diagnostics."""

from __future__ import annotations

from typing import Any

from conveyor.workflow.yamlload import Path


def _dotted(parts: Path) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _anchor(path: Path) -> tuple[str, Path]:
    """The nearest job/step that contains ``path``, named, and the rest of the path."""
    if len(path) >= 4 and path[0] == "jobs" and path[2] == "steps" and isinstance(path[3], int):
        return f"step {path[3] + 1} of job '{path[1]}'", path[4:]
    if len(path) >= 3 and path[0] == "runs" and path[1] == "steps" and isinstance(path[2], int):
        return f"step {path[2] + 1} of the action", path[3:]
    if len(path) >= 2 and path[0] == "jobs":
        return f"job '{path[1]}'", path[2:]
    if len(path) >= 3 and path[0] == "on" and path[1] == "schedule" and isinstance(path[2], int):
        return f"schedule item {path[2] + 1}", path[3:]
    if len(path) >= 2 and path[0] == "on":
        return f"event '{path[1]}'", path[2:]
    return "", path


def describe_path(path: Path) -> str:
    """E.g. ``job 'build'``, ``step 2 of job 'build'``, ``'strategy.matrix' of job 'build'``."""
    if not path:
        return "the top level"
    anchor, rest = _anchor(tuple(path))
    if not rest:
        return anchor
    if isinstance(rest[-1], int):
        item = f"item {rest[-1] + 1} of '{_dotted(rest[:-1])}'" if rest[:-1] else "item"
        return f"{item} of {anchor}" if anchor else item
    return f"'{_dotted(rest)}' of {anchor}" if anchor else f"'{_dotted(rest)}'"


def describe_value(value: Any) -> str:
    """E.g. ``the string 'abc'``, ``the number 5``, ``a mapping``."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"the string '{short}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
