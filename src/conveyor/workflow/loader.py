"""Load a workflow or action file into the model, with every diagnostic found.

:func:`load_workflow` never raises for bad content: it returns a
:class:`LoadedWorkflow` whose ``diagnostics`` hold every problem (YAML, schema and
semantic checks) and whose ``model`` is set whenever the schema accepted the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from conveyor.diagnostics import Diagnostic
from conveyor.errors import WorkflowInvalid
from conveyor.expressions.templates import is_insert_key
from conveyor.workflow.checks import CheckContext, run_action_checks, run_workflow_checks
from conveyor.workflow.model import ActionMetadata, Job, Step, Workflow
from conveyor.workflow.schema_errors import fields_by_key, model_diagnostics
from conveyor.workflow.yamlload import Document, Path, load_text, read_text

M = TypeVar("M", bound=BaseModel)


@dataclass
class Loaded(Generic[M]):
    """A loaded file: its document (data + positions), model (None if invalid), diagnostics."""

    path: str
    document: Document
    model: M | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def ok(self) -> bool:
        return self.model is not None and not self.errors

    def require(self) -> M:
        """The model, or :class:`WorkflowInvalid` with every error."""
        if self.model is None or self.errors:
            raise WorkflowInvalid(self.errors or self.diagnostics)
        return self.model


class LoadedWorkflow(Loaded[Workflow]):
    """A loaded workflow file."""


class LoadedAction(Loaded[ActionMetadata]):
    """A loaded action metadata file (``action.yml``)."""


def _placement() -> dict[str, str]:
    places: list[tuple[str, type[BaseModel]]] = [
        ("at the top level", Workflow),
        ("in a job", Job),
        ("in a step", Step),
    ]
    result: dict[str, list[str]] = {}
    for where, model in places:
        for key in fields_by_key(model):
            result.setdefault(key, []).append(where)
    return {k: " or ".join(v) for k, v in result.items()}


_PLACEMENT = _placement()


def is_action_file(path: str) -> bool:
    """``action.yml``/``action.yaml``, or a name containing ``__action__`` (corpus style)."""
    name = os.path.basename(path)  # noqa: PTH119
    return name in ("action.yml", "action.yaml") or "__action__" in name


def repo_root(path: str) -> str:
    """The repository a file belongs to: the folder holding its ``.github``, else the cwd."""
    current = os.path.dirname(os.path.abspath(path))  # noqa: PTH100, PTH120
    while True:
        parent = os.path.dirname(current)  # noqa: PTH120
        if os.path.basename(current) == ".github":  # noqa: PTH119
            return parent
        if parent == current:
            return os.getcwd()  # noqa: PTH109
        current = parent


def repository_path(path: str) -> str:
    """A workflow file's path as GitHub names a workflow without ``name``: relative to the
    repository (the folder holding its ``.github``), e.g. ``.github/workflows/ci.yml``;
    a file outside any ``.github`` folder keeps the path it was given."""
    parts = os.path.abspath(path).split(os.sep)  # noqa: PTH100, PTH206
    if ".github" not in parts[:-1]:
        return path
    start = len(parts) - 1 - parts[:-1][::-1].index(".github") - 1
    return "/".join(parts[start:])


def by_place(d: Diagnostic) -> tuple[str, int, int, str, str]:
    """Sort key: diagnostics in file order (then rule and message)."""
    return (d.path, d.line, d.col, d.rule, d.message)


def _sorted(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(dict.fromkeys(diags), key=by_place)


def without_inserts(data: Any, path: Path = (), found: set[Path] | None = None) -> Any:
    """``data`` without its ``${{ insert }}`` keys (they are filled in at run time); the
    paths of the mappings that had one are added to ``found``."""
    if isinstance(data, list):
        return [without_inserts(v, (*path, i), found) for i, v in enumerate(data)]
    if not isinstance(data, dict):
        return data
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if is_insert_key(key):
            if found is not None:
                found.add(path)
            continue
        kept[key] = without_inserts(value, (*path, key), found)
    return kept


def _validate(
    doc: Document, model_cls: type[M], root: str | None
) -> tuple[M | None, list[Diagnostic]]:
    diags = list(doc.diagnostics)
    if doc.data is None:
        if not diags:
            what = "action metadata" if model_cls is ActionMetadata else "workflow"
            diags.append(doc.diag((), f"the {what} file is empty; add its content", "required"))
        return None, diags
    if not isinstance(doc.data, dict):
        diags.append(doc.diag((), "the file must be a YAML mapping of keys to values", "type"))
        return None, diags
    model: M | None = None
    inserted: set[Path] = set()
    try:
        data = without_inserts(doc.data, (), inserted) if "insert" in doc.text else doc.data
        model = model_cls.model_validate(data)
    except ValidationError as exc:
        found = model_diagnostics(doc, model_cls, exc, _PLACEMENT)
        # A mapping with ``${{ insert }}`` may get its required keys from the insert.
        diags.extend(d for d in found if not _filled_by_insert(doc, d, inserted))
    ctx = CheckContext(doc, is_action=model_cls is ActionMetadata, root=root)
    if ctx.is_action:
        run_action_checks(ctx)
    else:
        run_workflow_checks(ctx)
    diags.extend(ctx.out)
    return model, diags


def _filled_by_insert(doc: Document, diag: Diagnostic, inserted: set[Path]) -> bool:
    if diag.rule != "required":
        return False
    return any((doc.key(p).line, doc.key(p).col) == (diag.line, diag.col) for p in inserted)


def load_workflow_text(
    text: str, path: str = "<string>", *, root: str | None = None
) -> LoadedWorkflow:
    """Load and validate workflow YAML ``text`` (``path`` is used in diagnostics)."""
    doc = load_text(text, path)
    model, diags = _validate(doc, Workflow, root if root is not None else repo_root(path))
    return LoadedWorkflow(path, doc, model, _sorted(diags))


def load_workflow(path: str) -> LoadedWorkflow:
    """Load and validate a workflow file."""
    return load_workflow_text(read_text(path), path)


def load_action_text(text: str, path: str = "<string>", *, root: str | None = None) -> LoadedAction:
    """Load and validate action metadata ``text``."""
    doc = load_text(text, path)
    model, diags = _validate(doc, ActionMetadata, root if root is not None else repo_root(path))
    return LoadedAction(path, doc, model, _sorted(diags))


def load_action(path: str) -> LoadedAction:
    """Load and validate an action metadata file (``action.yml``)."""
    return load_action_text(read_text(path), path)


def load_any(path: str) -> LoadedWorkflow | LoadedAction:
    """Load a file as action metadata or a workflow, by its name (see :func:`is_action_file`)."""
    return load_action(path) if is_action_file(path) else load_workflow(path)
