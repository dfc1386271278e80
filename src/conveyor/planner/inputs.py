"""The ``inputs`` context a run starts with: declared defaults overlaid by given values.

Only ``workflow_dispatch`` and ``workflow_call`` declare inputs. Given values (from
``--input K=V``) are strings; they are converted by the declared ``type``
(``boolean``: ``true``/``false``; ``number``: int or float). Unset defaults follow
GitHub: ``false`` for a boolean, ``0`` for a number (``workflow_call``) and ``""``
otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.workflow.model import CallInput, DispatchInput, Workflow

INPUT_EVENTS = ("workflow_dispatch", "workflow_call")


def _convert(value: Any, kind: str | None) -> Any:
    if not isinstance(value, str):
        return value
    if kind == "boolean" and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if kind == "number":
        for parse in (int, float):
            try:
                return parse(value.strip())
            except ValueError:
                continue
    return value


def _default(spec: CallInput | DispatchInput, event: str) -> Any:
    if spec.default is not None:
        return _convert(spec.default, spec.type)
    if spec.type == "boolean":
        return False
    if spec.type == "number" and event == "workflow_call":
        return 0
    return ""


def declared_inputs(workflow: Workflow, event: str) -> dict[str, CallInput | DispatchInput]:
    """The inputs ``event`` declares in this workflow (empty for other events)."""
    if event not in INPUT_EVENTS:
        return {}
    config = workflow.events().get(event)
    inputs = getattr(config, "inputs", None)
    return dict(inputs) if isinstance(inputs, Mapping) else {}


def missing_inputs(workflow: Workflow, event: str, given: Mapping[str, Any]) -> list[str]:
    """Required inputs with no default that ``given`` lacks: their value is unknown."""
    return [
        name
        for name, spec in declared_inputs(workflow, event).items()
        if spec.required and spec.default is None and name not in given
    ]


def inputs_context(workflow: Workflow, event: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The ``inputs`` context: declared defaults, then ``given`` values converted by type."""
    declared = declared_inputs(workflow, event)
    context: dict[str, Any] = {name: _default(spec, event) for name, spec in declared.items()}
    for name, value in given.items():
        spec = declared.get(name)
        context[name] = _convert(value, spec.type if spec is not None else None)
    return context
