"""``workflow_dispatch`` inputs: check given values against the declared types.

GitHub's rules: an input not declared is refused; a ``required`` input without a
default must be given; ``boolean`` takes ``true``/``false``; ``number`` a number;
``choice`` one of ``options``; ``environment`` an environment name; ``string``
anything. The ``inputs`` context keeps booleans and numbers typed, while
``github.event.inputs`` holds every value as a string.

Errors are :class:`~conveyor.errors.UserError` (exit 2) naming the input and
``file:line`` of its declaration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor.errors import UserError
from conveyor.workflow.loader import LoadedWorkflow

_TYPES = ("string", "boolean", "number", "choice", "environment")


@dataclass(frozen=True, slots=True)
class DispatchInputs:
    typed: dict[str, Any]  # the ``inputs`` context
    strings: dict[str, str]  # ``github.event.inputs``


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _number(text: str) -> int | float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return (
        int(number)
        if number.is_integer() and "." not in text and "e" not in text.lower()
        else number
    )


def _declared(loaded: LoadedWorkflow) -> dict[str, Any]:
    on = loaded.document.data.get("on") if isinstance(loaded.document.data, dict) else None
    config = on.get("workflow_dispatch") if isinstance(on, dict) else None
    inputs = config.get("inputs") if isinstance(config, dict) else None
    return inputs if isinstance(inputs, dict) else {}


def _where(loaded: LoadedWorkflow, name: str | None) -> str:
    path: tuple[Any, ...] = ("on", "workflow_dispatch", "inputs")
    pos = loaded.document.key((*path, name) if name else path)
    return f"{loaded.path}:{pos.line}"


def _convert(kind: str, spec: Mapping[str, Any], text: str) -> tuple[Any, str] | str:
    """``(typed, string)`` or an error message."""
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            return f"must be true or false, got {text!r}"
        return lowered == "true", lowered
    if kind == "number":
        number = _number(text)
        if number is None:
            return f"must be a number, got {text!r}"
        return number, text.strip()
    if kind == "choice":
        options = [_text(o) for o in spec.get("options") or []]
        if text not in options:
            return f"must be one of [{', '.join(options)}], got {text!r}"
        return text, text
    if kind == "environment" and not text.strip():
        return "must name an environment"
    return text, text


def validate_dispatch_inputs(loaded: LoadedWorkflow, given: Mapping[str, Any]) -> DispatchInputs:
    """Typed and string inputs for a dispatch of ``loaded`` with ``given`` values."""
    declared = _declared(loaded)
    unknown = [name for name in given if name not in declared]
    if unknown:
        names = ", ".join(declared) or "none"
        raise UserError(
            f"{_where(loaded, None)}: workflow_dispatch input '{unknown[0]}' is not declared "
            f"(declared: {names})"
        )
    typed: dict[str, Any] = {}
    strings: dict[str, str] = {}
    for name, raw in declared.items():
        spec = raw if isinstance(raw, dict) else {}
        kind = str(spec.get("type") or "string")
        where = _where(loaded, name)
        if kind not in _TYPES:
            raise UserError(f"{where}: workflow_dispatch input '{name}': unknown type '{kind}'")
        if name in given:
            text = _text(given[name])
        elif spec.get("default") is not None:
            text = _text(spec["default"])
        elif spec.get("required"):
            raise UserError(
                f"{where}: workflow_dispatch input '{name}' is required; "
                f"pass it with --input {name}=VALUE"
            )
        elif kind == "boolean":
            text = "false"
        else:
            typed[name], strings[name] = "", ""
            continue
        result = _convert(kind, spec, text)
        if isinstance(result, str):
            origin = "" if name in given else " (its default)"
            raise UserError(f"{where}: workflow_dispatch input '{name}'{origin} {result}")
        typed[name], strings[name] = result
    return DispatchInputs(typed, strings)
