"""``workflow_dispatch`` / ``workflow_call`` inputs: declared specs + given values -> typed.

The one implementation of input coercion and validation, used by ``conveyor plan``,
``conveyor trigger workflow_dispatch``, ``conveyor run`` and the engine (for called
workflows). GitHub's rules:

* an input that is not declared is refused (``workflow_dispatch``);
* a ``required`` input without a ``default`` must be given;
* ``boolean`` takes ``true``/``false`` (any case) or a boolean; ``number`` a finite number
  (``7`` stays an integer, ``2.5`` or ``1e3`` a float); ``choice`` one of ``options``,
  compared as strings (``options: [1, 2]`` accepts ``1``); ``environment`` a non-empty
  name; ``string`` anything (non-strings take GitHub's string form);
* not given and no default: ``false`` for a boolean, ``0`` for a ``workflow_call`` number,
  ``""`` otherwise.

The ``inputs`` context keeps booleans and numbers typed, while ``github.event.inputs``
holds every value as a string. Errors are :class:`InputError` (exit 2), naming the
input, ``file:line:col`` of its declaration and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conveyor.errors import UsageError
from conveyor.expressions.values import to_string
from conveyor.workflow.loader import LoadedWorkflow
from conveyor.workflow.model import Workflow
from conveyor.workflow.yamlload import Document

INPUT_EVENTS = ("workflow_dispatch", "workflow_call")
_TYPES: dict[str, tuple[str, ...]] = {
    "workflow_dispatch": ("string", "boolean", "number", "choice", "environment"),
    "workflow_call": ("string", "boolean", "number"),
}


class InputError(UsageError):
    """A given (or default) input value that its declaration refuses."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(f"{where}: {message}" if str(where) else message)
        self.where = where
        self.message = message


@dataclass(frozen=True, slots=True)
class Where:
    """Where an input is declared: file, and line:col when known."""

    path: str = ""
    line: int = 0
    col: int = 0

    def __str__(self) -> str:  # file:line, as `conveyor trigger` has always printed it
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One declared input."""

    name: str
    type: str  # "string" when not declared
    required: bool = False
    default: Any = None  # None: no default
    options: tuple[str, ...] | None = None  # a choice's options, as strings
    where: Where = field(default_factory=Where)


@dataclass(frozen=True, slots=True)
class DeclaredInputs:
    """The inputs one event of one workflow declares (empty for other events)."""

    event: str
    specs: dict[str, InputSpec]
    where: Where = field(default_factory=Where)  # the ``inputs`` block (or the event)


@dataclass(frozen=True, slots=True)
class ResolvedInputs:
    typed: dict[str, Any]  # the ``inputs`` context
    strings: dict[str, str]  # ``github.event.inputs``


def _spec_field(raw: Any, name: str) -> Any:
    if isinstance(raw, Mapping):
        return raw.get(name)
    return getattr(raw, name, None)


def _make_spec(name: str, raw: Any, where: Where) -> InputSpec:
    options = _spec_field(raw, "options")
    return InputSpec(
        name=str(name),
        type=str(_spec_field(raw, "type") or "string"),
        required=bool(_spec_field(raw, "required")),
        default=_spec_field(raw, "default"),
        options=tuple(to_string(o) for o in options) if isinstance(options, list) else None,
        where=where,
    )


def _where(document: Document | None, path: str, keys: tuple[Any, ...]) -> Where:
    if document is None:
        return Where(path)
    pos = document.key(keys)
    return Where(path, pos.line, pos.col)


def declared_from_block(
    event: str, inputs: Any, *, path: str = "", document: Document | None = None
) -> DeclaredInputs:
    """The inputs of ``event`` from its ``inputs`` block (a mapping of specs, model or raw)."""
    base: tuple[Any, ...] = ("on", event, "inputs")
    block = _where(document, path, base)
    if event not in INPUT_EVENTS or not isinstance(inputs, Mapping):
        return DeclaredInputs(event, {}, block)
    specs = {
        str(name): _make_spec(name, raw, _where(document, path, (*base, name)))
        for name, raw in inputs.items()
    }
    return DeclaredInputs(event, specs, block)


def declared_inputs(
    workflow: Workflow, event: str, *, path: str = "", document: Document | None = None
) -> DeclaredInputs:
    """The inputs ``event`` declares in the workflow model (positions from ``document``)."""
    config = workflow.events().get(event) if event in INPUT_EVENTS else None
    return declared_from_block(event, getattr(config, "inputs", None), path=path, document=document)


def declared_inputs_of(loaded: LoadedWorkflow, event: str) -> DeclaredInputs:
    """:func:`declared_inputs` of a loaded (valid) workflow, with file:line:col."""
    workflow = loaded.require()
    return declared_inputs(workflow, event, path=str(loaded.path), document=loaded.document)


def declared_inputs_from_data(
    data: Mapping[str, Any], event: str, *, path: str = ""
) -> DeclaredInputs:
    """The same from raw workflow data (``on.<event>.inputs``), for callers without a model."""
    on = data.get("on")
    config = on.get(event) if isinstance(on, Mapping) else None
    inputs = config.get("inputs") if isinstance(config, Mapping) else None
    return declared_from_block(event, inputs, path=path)


def _number(text: str) -> int | float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    integral = number.is_integer() and not any(c in text for c in ".eE")
    return int(number) if integral else number


def _convert(spec: InputSpec, value: Any) -> tuple[Any, str] | str:
    """``(typed, string)`` or why ``value`` is refused."""
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value, "true" if value else "false"
        lowered = value.strip().lower() if isinstance(value, str) else ""
        if lowered not in ("true", "false"):
            return f"must be true or false, got {value!r}"
        return lowered == "true", lowered
    if spec.type == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                return f"must be a number, got {value!r}"
            return value, to_string(value)
        number = _number(value) if isinstance(value, str) else None
        if number is None:
            return f"must be a number, got {value!r}"
        return number, value.strip()
    text = to_string(value)
    if spec.type == "choice":
        options = spec.options or ()
        if text not in options:
            return f"must be one of [{', '.join(options)}], got {text!r}"
    if spec.type == "environment" and not text.strip():
        return "must name an environment"
    return text, text


def resolve_inputs(
    declared: DeclaredInputs,
    given: Mapping[str, Any],
    *,
    undeclared: Literal["refuse", "keep"] = "refuse",
    render_default: Callable[[Any], Any] | None = None,
) -> ResolvedInputs:
    """Typed and string values of every declared input for ``given`` values.

    ``undeclared="keep"`` passes inputs that are not declared through unchanged (the engine
    and the planner, for events without inputs); ``render_default`` evaluates a default
    (e.g. an expression) before it is converted.
    """
    event = declared.event
    if undeclared == "refuse" and event in INPUT_EVENTS:
        unknown = [name for name in given if name not in declared.specs]
        if unknown:
            names = ", ".join(declared.specs) or "none"
            raise InputError(
                declared.where,
                f"{event} input '{unknown[0]}' is not declared (declared: {names})",
            )
    typed: dict[str, Any] = {}
    strings: dict[str, str] = {}
    allowed = _TYPES.get(event, ())
    for name, spec in declared.specs.items():
        if spec.type not in allowed:
            raise InputError(
                spec.where,
                f"{event} input '{name}': unknown type '{spec.type}' (use {', '.join(allowed)})",
            )
        if name in given:
            value, origin = given[name], ""
        elif spec.default is not None:
            value, origin = spec.default, " (its default)"
            if render_default is not None:
                value = render_default(value)
        elif spec.required:
            raise InputError(
                spec.where,
                f"{event} input '{name}' is required; pass it with --input {name}=VALUE",
            )
        elif spec.type == "boolean":
            typed[name], strings[name] = False, "false"
            continue
        elif spec.type == "number" and event == "workflow_call":
            typed[name], strings[name] = 0, "0"
            continue
        else:
            typed[name], strings[name] = "", ""
            continue
        result = _convert(spec, value)
        if isinstance(result, str):
            raise InputError(spec.where, f"{event} input '{name}'{origin} {result}")
        typed[name], strings[name] = result
    for name, value in given.items():
        if name not in declared.specs:
            typed[name] = value
            strings[name] = to_string(value)
    return ResolvedInputs(typed, strings)


def missing_inputs(declared: DeclaredInputs, given: Mapping[str, Any]) -> list[str]:
    """Required inputs without a default that ``given`` lacks."""
    return [
        name
        for name, spec in declared.specs.items()
        if spec.required and spec.default is None and name not in given
    ]


def validate_dispatch_inputs(loaded: LoadedWorkflow, given: Mapping[str, Any]) -> ResolvedInputs:
    """A ``workflow_dispatch`` of ``loaded`` with ``given`` values, checked as GitHub does."""
    return resolve_inputs(declared_inputs_of(loaded, "workflow_dispatch"), given)
