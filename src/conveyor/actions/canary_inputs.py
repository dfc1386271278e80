"""The canary inputs of ``conveyor/deploy@v1``: ``strategy: canary`` with ``steps`` (a
YAML list of ``weight:``/``pause:``/``analysis:`` steps, or a CodeDeploy preset's name
such as ``Canary10Percent5Minutes``), ``analysis`` (a YAML mapping: ``metrics``,
``interval``, ``count``, ``failure-limit``, ``inconclusive-limit``, ``prometheus``),
``pin`` (``header X-User`` or ``cookie session``: a client stays on one version) and
``time-scale`` (every duration multiplied by it; default ``$CONVEYOR_CANARY_TIME_SCALE``
or 1). See :mod:`conveyor.delivery.canary_plan`.
"""

from __future__ import annotations

from typing import Any

import yaml

from conveyor.actions.common import InputError, get_input
from conveyor.delivery.canary_plan import CanaryPlan, PlanError, make_plan, parse_pin
from conveyor.engine.ports import ActionContext

TIME_SCALE_ENV = "CONVEYOR_CANARY_TIME_SCALE"


def _yaml(context: ActionContext, name: str) -> Any:
    text = get_input(context, name)
    if not text:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"input '{name}': not YAML: {exc}") from exc


def canary_plan(context: ActionContext) -> CanaryPlan | None:
    """The canary plan the step's inputs describe; None without ``strategy: canary``."""
    strategy = get_input(context, "strategy", "all-at-once")
    if strategy in ("all-at-once", "AllAtOnce", ""):
        return None
    if strategy != "canary":
        raise InputError(f"input 'strategy': {strategy!r} is not a strategy: all-at-once or canary")
    steps = _yaml(context, "steps")
    if steps is None:
        raise InputError(
            "strategy: canary needs input 'steps': a list (- weight: 10, - pause: 5m, "
            "- analysis: {count: 3}) or a preset such as Canary10Percent5Minutes"
        )
    raw_scale = get_input(context, "time-scale") or context.env.get(TIME_SCALE_ENV, "") or "1"
    try:
        scale = float(raw_scale)
    except ValueError as exc:
        raise InputError(f"input 'time-scale': {raw_scale!r} is not a number") from exc
    try:
        return make_plan(
            steps,
            _yaml(context, "analysis"),
            pin=parse_pin(get_input(context, "pin")),
            time_scale=scale,
        )
    except PlanError as exc:
        raise InputError(f"strategy: canary: {exc}") from exc
