"""The ``inputs`` context of ``workflow_dispatch`` and ``workflow_call`` (typed, defaulted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.engine import exprs
from conveyor.errors import UsageError


def trigger_config(data: Mapping[str, Any], event: str) -> dict[str, Any]:
    """``on.<event>`` as a mapping ({} when the event is listed without configuration)."""
    on = data.get("on")
    if isinstance(on, dict):
        value = on.get(event)
        return value if isinstance(value, dict) else {}
    return {}


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
    declared: Any, given: Mapping[str, Any], ctx: exprs.Contexts, *, strict: bool = True
) -> dict[str, Any]:
    """Defaults (which may be expressions) overridden by ``given``; typed per ``type``."""
    declared = declared if isinstance(declared, dict) else {}
    result: dict[str, Any] = {}
    for name, raw in declared.items():
        spec = raw if isinstance(raw, dict) else {}
        kind = str(spec.get("type") or "string")
        if name in given:
            result[name] = _typed(kind, given[name], name)
        elif spec.get("default") is not None:
            result[name] = _typed(kind, exprs.render(spec["default"], ctx), name)
        elif spec.get("required") and strict:
            raise UsageError(f"input '{name}' is required; pass it with --input {name}=VALUE")
        else:
            result[name] = False if kind == "boolean" else ""
        if kind == "choice" and spec.get("options") and result[name] not in spec["options"]:
            raise UsageError(f"input '{name}' must be one of {spec['options']}")
    for name, value in given.items():
        result.setdefault(name, value)
    return result
