"""What a workflow or action file says, as plan pieces with positions.

Values are taken as written (templates are evaluated by the engine); every piece records
its file, line and column, and where each of its keys is, so a run-time problem can name
the line it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.planner.plan import EnvironmentPlan, InputPlan, Source, StepPlan
from conveyor.workflow.yamlload import Document, Path


def source(document: Document, path: Path) -> Source:
    """Where the value at ``path`` is written."""
    pos = document.pos(path)
    return Source(document.path, pos.line, pos.col)


def key_sources(document: Document, path: Path) -> dict[str, Source]:
    """Where each key of the mapping at ``path`` is written."""
    value = at(document, path)
    if not isinstance(value, Mapping):
        return {}
    found: dict[str, Source] = {}
    for key in value:
        pos = document.key((*path, key))
        found[str(key)] = Source(document.path, pos.line, pos.col)
    return found


def at(document: Document, path: Path) -> Any:
    """The value at ``path`` of the document's data (None when absent)."""
    value: Any = document.data
    for part in path:
        if isinstance(value, Mapping) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def steps_at(document: Document, path: Path) -> tuple[StepPlan, ...]:
    """The steps of the list at ``path`` (a job's ``steps`` or a composite's ``runs.steps``)."""
    items = at(document, path)
    if not isinstance(items, list):
        return ()
    return tuple(
        step_at(document, (*path, i), i) for i, item in enumerate(items) if isinstance(item, dict)
    )


def step_at(document: Document, path: Path, position: int) -> StepPlan:
    data = at(document, path)
    spec: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    step_id = spec.get("id")
    uses = spec.get("uses")
    return StepPlan(
        position=position,
        source=source(document, path),
        id=None if step_id is None else str(step_id),
        name=spec.get("name"),
        if_=spec.get("if"),
        run=spec.get("run"),
        shell=spec.get("shell"),
        working_directory=spec.get("working-directory"),
        uses=None if uses is None else str(uses).strip(),
        with_=spec.get("with"),
        env=spec.get("env"),
        continue_on_error=spec.get("continue-on-error"),
        timeout_minutes=spec.get("timeout-minutes"),
        keys=key_sources(document, path),
    )


def defaults_run(document: Document, path: Path) -> dict[str, Any]:
    """``defaults.run`` of the mapping at ``path`` (a workflow or a job)."""
    value = at(document, (*path, "defaults", "run"))
    return dict(value) if isinstance(value, Mapping) else {}


def environment_at(document: Document, path: Path) -> EnvironmentPlan | None:
    """``environment``: a name, or ``{name, url}``."""
    value = at(document, path)
    if value is None:
        return None
    if isinstance(value, Mapping):
        return EnvironmentPlan(value.get("name"), value.get("url"))
    return EnvironmentPlan(value)


def inputs_at(document: Document, path: Path) -> dict[str, InputPlan]:
    """Declared inputs (or secrets) of a trigger or an action, as written."""
    value = at(document, path)
    if not isinstance(value, Mapping):
        return {}
    found: dict[str, InputPlan] = {}
    for name, raw in value.items():
        spec: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        options = spec.get("options")
        found[str(name)] = InputPlan(
            type=str(spec.get("type") or "string"),
            default=spec.get("default"),
            required=spec.get("required") is True,
            options=list(options) if isinstance(options, list) else None,
        )
    return found


def outputs_at(document: Document, path: Path) -> dict[str, Any]:
    """Declared outputs: name -> value template (``{value: ...}`` or a bare value)."""
    value = at(document, path)
    if not isinstance(value, Mapping):
        return {}
    return {
        str(name): spec.get("value") if isinstance(spec, Mapping) else spec
        for name, spec in value.items()
    }
