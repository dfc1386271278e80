"""The ``inputs`` context of ``workflow_dispatch`` and ``workflow_call`` (typed, defaulted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.engine import exprs
from conveyor.errors import UsageError
from conveyor.planner.plan import InputPlan


def _typed(kind: str, value: Any, name: str) -> Any:
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise UsageError(f"input '{name}' must be true or false, got {value!r}")
        return text == "true"
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            number = float(str(value))
        except ValueError:
            raise UsageError(f"input '{name}' must be a number, got {value!r}") from None
        return int(number) if number.is_integer() else number
    return exprs.to_str(value)


def build_inputs(
    declared: Mapping[str, InputPlan], given: Mapping[str, Any], ctx: exprs.Contexts
) -> dict[str, Any]:
    """Defaults (which may be expressions) overridden by ``given``; typed per ``type``."""
    result: dict[str, Any] = {}
    for name, spec in declared.items():
        kind = spec.type
        if name in given:
            result[name] = _typed(kind, given[name], name)
        elif spec.default is not None:
            result[name] = _typed(kind, exprs.render(spec.default, ctx), name)
        elif spec.required:
            raise UsageError(f"input '{name}' is required; pass it with --input {name}=VALUE")
        else:
            result[name] = False if kind == "boolean" else ""
        options = [exprs.to_str(o) for o in spec.options or []]
        if kind == "choice" and options and exprs.to_str(result[name]) not in options:
            raise UsageError(f"input '{name}' must be one of {options}")
    for name, value in given.items():
        result.setdefault(name, value)
    return result
