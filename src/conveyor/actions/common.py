"""Small helpers shared by the built-in actions: inputs, logging, paths."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from conveyor.engine.ports import ActionContext, ActionResult

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off", ""})


class InputError(ValueError):
    """An input has a value the action cannot use; the message says which and why."""


def get_input(context: ActionContext, name: str, default: str = "") -> str:
    """An input's value, stripped; ``default`` when it was not given."""
    value = context.inputs.get(name)
    return default if value is None else str(value).strip()


def get_bool(context: ActionContext, name: str, default: bool) -> bool:
    raw = get_input(context, name)
    if not raw:
        return default
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InputError(f"input '{name}' must be true or false, got {raw!r}")


def get_lines(context: ActionContext, name: str) -> list[str]:
    """A multi-line (or comma-free) list input: one item per non-empty line."""
    return [line.strip() for line in get_input(context, name).splitlines() if line.strip()]


def log(context: ActionContext, text: str, stream: str = "stdout") -> None:
    """Write lines to the step log, masked."""
    for line in text.splitlines() or [""]:
        context.output.line(context.masker.mask(line), stream)


def fail(context: ActionContext, message: str) -> ActionResult:
    """A failed result with its (masked) message: the engine logs it as the step's error."""
    return ActionResult(ok=False, message=context.masker.mask(message))


def env_value(context: ActionContext, name: str) -> str | None:
    """A variable from the step env, falling back to conveyor's own environment."""
    value = context.env.get(name)
    return value if value is not None else os.environ.get(name)


def home_dir(env: Mapping[str, str]) -> Path:
    home = env.get("HOME") or os.environ.get("HOME")
    return Path(home) if home else Path.home()


def expand_user(path: str, env: Mapping[str, str]) -> str:
    """``~`` and ``~/x`` expand to the step's HOME."""
    if path == "~" or path.startswith("~/"):
        return str(home_dir(env)) + path[1:]
    return path


def resolve_under(base: Path, relative: str, what: str) -> Path:
    """``base / relative`` made absolute; refuses paths that escape ``base``."""
    target = Path(os.path.normpath(base / relative)) if relative else base
    if target != base and base not in target.parents:
        raise InputError(f"{what} '{relative}' is not under '{base}'")
    return target
