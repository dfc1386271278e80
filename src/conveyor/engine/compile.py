"""Compile: resolve every ``uses:`` of a planned workflow before anything runs.

A step's action is found through the :class:`ActionProvider`, its ``action.yml`` loaded
and validated by the workflow layer (once per action), and a composite action's own steps
compiled the same way. A job's reusable workflow is loaded, validated and planned like any
workflow, then compiled itself. Every problem -- an action that cannot be found, an invalid
``action.yml``, a called workflow with an unknown key or a ``needs`` cycle -- becomes a
diagnostic with its own file, line and column; they are raised together as
:class:`~conveyor.errors.WorkflowInvalid` (exit 2).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from conveyor.diagnostics import Diagnostic
from conveyor.engine.ports import ActionProvider, BuiltinCheck, ResolvedAction
from conveyor.errors import ConveyorError, WorkflowInvalid
from conveyor.planner.plan import ActionPlan, CallPlan, JobPlan, Source, StepPlan, WorkflowPlan

if TYPE_CHECKING:
    from conveyor.workflow.yamlload import Document

METADATA_FILES = ("action.yml", "action.yaml")
MAX_ACTION_DEPTH = 10
"""Composite actions nest at most this deep (GitHub's limit)."""
MAX_CALL_DEPTH = 4
"""Reusable workflows nest at most this deep below the caller (GitHub's limit)."""

DOCKER_MESSAGE = (
    "needs Docker, which conveyor does not use; run this job on GitHub or replace the "
    "container with setup actions"
)


def _diag(where: Source, message: str, rule: str) -> Diagnostic:
    return Diagnostic(where.file, where.line, where.col, message, rule)


def relative_path(file: Path, root: Path) -> str:
    """``file`` relative to the repository ``root`` (as GitHub names workflows), else as is."""
    try:
        return file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(file)


class Compiler:
    """Resolves and validates the actions and called workflows of plans.

    ``repository_root`` is where local (``./``) actions and workflows are looked up.
    Loaded actions are cached, so each ``action.yml`` is read once per compile.
    """

    def __init__(self, actions: ActionProvider, repository_root: Path) -> None:
        self._actions = actions
        self._root = Path(repository_root)
        self._loaded: dict[str, ActionPlan | str] = {}
        self._checks: dict[str, BuiltinCheck] = {}
        self._documents: dict[str, Document | None] = {}
        self.problems: list[Diagnostic] = []

    # ------------------------------------------------------------------ entry points

    def workflow(
        self,
        plan: WorkflowPlan,
        jobs: Collection[str] | None = None,
        *,
        payload: Mapping[str, Any] | None = None,
        depth: int = 0,
    ) -> WorkflowPlan:
        """``plan`` with the actions of its steps and its called workflows resolved (only
        for ``jobs`` when given). Problems are collected in :attr:`problems`."""
        compiled: list[JobPlan] = []
        for job in plan.jobs:
            if jobs is not None and job.id not in jobs:
                compiled.append(job)
                continue
            compiled.append(self._job(job, payload or {}, depth))
        return msgspec.structs.replace(plan, jobs=compiled)

    def check(self) -> None:
        """Raise every problem found so far, if any."""
        if self.problems:
            raise WorkflowInvalid(self.problems)

    def action(self, step: StepPlan, depth: int = 0) -> ActionPlan | None:
        """What ``step.uses`` resolves to (None, with a problem recorded, when it can't)."""
        assert step.uses is not None
        uses = step.uses
        where = step.where("uses")
        if uses.startswith("docker://"):
            return ActionPlan(uses=uses, kind="docker")
        cached = self._loaded.get(uses)
        if isinstance(cached, ActionPlan):
            return cached
        if isinstance(cached, str):
            self.problems.append(_diag(where, cached, "action"))
            return None
        try:
            resolved = self._actions.resolve(uses, workspace=self._root, repository_root=self._root)
        except ConveyorError as exc:
            return self._refuse(uses, where, str(exc))
        if resolved.kind == "workflow":
            return self._refuse(
                uses, where, f"'{uses}' is a reusable workflow; call it from jobs.<job_id>.uses"
            )
        if resolved.kind in ("builtin", "docker") or resolved.directory is None:
            action = ActionPlan(uses=uses, kind=resolved.kind)
            if resolved.check is not None:
                self._checks[uses] = resolved.check
        else:
            found = self._load_action(uses, resolved, where, depth)
            if found is None:
                return None
            action = found
        self._loaded[uses] = action
        return action

    # ------------------------------------------------------------------ jobs

    def _job(self, job: JobPlan, payload: Mapping[str, Any], depth: int) -> JobPlan:
        if job.call is not None:
            return msgspec.structs.replace(job, call=self._call(job, job.call, payload, depth))
        name = job.environment.name if job.environment is not None else None
        environment = name if isinstance(name, str) and "${{" not in name else None
        return msgspec.structs.replace(job, steps=self._steps(job.steps, 0, environment))

    def _steps(
        self, steps: tuple[StepPlan, ...], depth: int, environment: str | None = None
    ) -> tuple[StepPlan, ...]:
        result: list[StepPlan] = []
        for step in steps:
            if step.uses is not None and step.action is None:
                result.append(msgspec.structs.replace(step, action=self.action(step, depth)))
                self._check_builtin(step, environment)
            else:
                result.append(step)
        return tuple(result)

    def _check_builtin(self, step: StepPlan, environment: str | None) -> None:
        """A built-in's own check of the step's inputs (as written: a value holding an
        expression is not known before the step runs)."""
        check = self._checks.get(step.uses or "")
        if check is None:
            return
        given = step.with_ if isinstance(step.with_, Mapping) else {}
        written = {str(key): str(value) for key, value in given.items() if value is not None}
        where = step.where("with") if "with" in step.keys else step.where("uses")
        for message in check(written, environment, self._root):
            self.problems.append(_diag(where, f"{step.uses}: {message}", "action"))

    def _refuse(self, uses: str, where: Source, message: str) -> ActionPlan | None:
        self._loaded[uses] = message
        self.problems.append(_diag(where, message, "action"))
        return None

    def _load_action(
        self, uses: str, resolved: ResolvedAction, where: Source, depth: int
    ) -> ActionPlan | None:
        from conveyor.planner import written
        from conveyor.workflow.loader import load_action

        directory = Path(resolved.directory or ".")
        loaded = resolved.metadata
        if loaded is None:
            metadata = next(
                (directory / n for n in METADATA_FILES if (directory / n).is_file()), None
            )
            if metadata is None:
                names = " or ".join(METADATA_FILES)
                return self._refuse(uses, where, f"action '{uses}': no {names} in {directory}")
            loaded = load_action(str(metadata))
        if loaded.errors or loaded.model is None:
            self.problems.extend(loaded.errors or loaded.diagnostics)
            self._loaded[uses] = f"action '{uses}' has invalid metadata ({loaded.path})"
            return None
        doc = loaded.document
        runs = written.at(doc, ("runs",)) or {}
        using = str(runs.get("using", "")).strip().lower()
        kind = "node" if using.startswith("node") else using
        local = uses[2:] if uses.startswith("./") else ""
        action = ActionPlan(
            uses=uses,
            kind=kind,
            directory=str(directory.resolve()),
            local_path=local,
            name=str(written.at(doc, ("name",)) or uses),
            using=using,
            inputs=written.inputs_at(doc, ("inputs",)),
            outputs=written.outputs_at(doc, ("outputs",)),
            main=str(runs.get("main") or ""),
            pre=str(runs.get("pre") or ""),
            post=str(runs.get("post") or ""),
            pre_if=str(runs.get("pre-if") or ""),
            post_if=str(runs.get("post-if") or ""),
            source=written.source(doc, ()),
        )
        if kind != "composite":
            return action
        if depth + 1 > MAX_ACTION_DEPTH:
            return self._refuse(
                uses,
                where,
                f"composite actions nested deeper than {MAX_ACTION_DEPTH} levels ({uses})",
            )
        # While its steps compile, a composite that (indirectly) uses itself is refused.
        self._loaded[uses] = f"composite action '{uses}' uses itself"
        steps = self._steps(written.steps_at(doc, ("runs", "steps")), depth + 1)
        return msgspec.structs.replace(action, steps=steps)

    # ------------------------------------------------------------------ calls

    def _call(
        self, job: JobPlan, call: CallPlan, payload: Mapping[str, Any], depth: int
    ) -> CallPlan:
        where = job.where("uses") or Source("<workflow>")
        if depth >= MAX_CALL_DEPTH:
            self.problems.append(
                _diag(
                    where,
                    f"reusable workflows nest deeper than {MAX_CALL_DEPTH} levels at '{call.uses}'",
                    "reusable-workflow",
                )
            )
            return call
        try:
            resolved = self._actions.resolve(
                call.uses, workspace=self._root, repository_root=self._root
            )
        except ConveyorError as exc:
            self.problems.append(_diag(where, str(exc), "reusable-workflow"))
            return call
        if resolved.kind != "workflow" or resolved.workflow_file is None:
            self.problems.append(
                _diag(where, f"'{call.uses}' is not a reusable workflow", "reusable-workflow")
            )
            return call
        callee = self._plan_callee(call.uses, resolved.workflow_file, where, payload, job)
        if callee is None:
            return call
        compiled = self.workflow(callee, payload=payload, depth=depth + 1)
        return msgspec.structs.replace(call, workflow=compiled)

    def _document(self, file: str) -> Document | None:
        """The loaded document of a workflow file (read once per compile)."""
        from conveyor.workflow.yamlload import load_file

        if file not in self._documents:
            self._documents[file] = load_file(file) if Path(file).is_file() else None
        return self._documents[file]

    def _plan_callee(
        self,
        uses: str,
        file: Path,
        where: Source,
        payload: Mapping[str, Any],
        caller: JobPlan,
    ) -> WorkflowPlan | None:
        from conveyor.planner.build import plan_workflow
        from conveyor.workflow.calls import check_call
        from conveyor.workflow.loader import load_workflow

        loaded = load_workflow(str(file))
        errors = loaded.errors
        if errors or loaded.model is None:
            self.problems.extend(errors or loaded.diagnostics)
            return None
        caller_doc = self._document(where.file)
        if caller_doc is not None:
            mistakes = check_call(caller_doc, caller.id, loaded.document, name=uses)
            if any(d.is_error for d in mistakes):
                self.problems.extend(d for d in mistakes if d.is_error)
                return None
        plan = plan_workflow(
            loaded.model,
            path=relative_path(file, self._root),
            event="workflow_call",
            payload=payload,
            document=loaded.document,
        )
        if not plan.fires:
            self.problems.append(
                _diag(
                    where,
                    f"'{uses}' cannot be called: {file} does not declare 'on: workflow_call'; "
                    "add it to the called workflow",
                    "reusable-workflow",
                )
            )
            return None
        return plan
