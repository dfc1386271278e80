"""The ``inputs`` context of ``workflow_dispatch`` and ``workflow_call`` (typed, defaulted).

A thin call to :func:`conveyor.workflow.inputs.resolve_inputs`, the one implementation of
input coercion (shared with ``conveyor plan``, ``trigger`` and ``run``); defaults may be
expressions, rendered with the run's contexts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.engine import exprs
from conveyor.planner.plan import InputPlan
from conveyor.workflow.inputs import declared_from_block, resolve_inputs


def build_inputs(
    declared: Mapping[str, InputPlan],
    given: Mapping[str, Any],
    ctx: exprs.Contexts,
    *,
    event: str = "workflow_call",
    path: str = "",
) -> dict[str, Any]:
    """Defaults (which may be expressions) overridden by ``given``; typed per ``type``."""
    specs = declared_from_block(event, declared, path=path)
    resolved = resolve_inputs(
        specs, given, undeclared="keep", render_default=lambda value: exprs.render(value, ctx)
    )
    return resolved.typed
