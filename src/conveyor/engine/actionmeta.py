"""An action's inputs as a step gives them (declared defaults, ``with``, INPUT_*)."""

from __future__ import annotations

from typing import Any

from conveyor.engine import exprs
from conveyor.planner.plan import ActionPlan


def resolve_inputs(
    action: ActionPlan, given: dict[str, Any], ctx: exprs.Contexts
) -> tuple[dict[str, str], list[str]]:
    """Declared defaults (which may be expressions) overridden by ``with``; plus warnings."""
    values: dict[str, str] = {}
    warnings: list[str] = []
    lowered = {str(k).lower(): v for k, v in given.items()}
    for name, spec in action.inputs.items():
        key = name.lower()
        if key in lowered:
            values[name] = exprs.to_str(lowered[key])
        elif spec.default is not None:
            values[name] = exprs.text(spec.default, ctx)
        else:
            values[name] = ""
            if spec.required:
                warnings.append(f"Input required and not supplied: {name}")
    known = {name.lower() for name in action.inputs}
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
