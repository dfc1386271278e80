"""Checks on steps: run/uses, ids, shell, ``uses`` references, timeouts, local actions."""

from __future__ import annotations

import os
import re
from typing import Any

from conveyor.expressions.templates import OPEN
from conveyor.workflow.checks.base import CheckContext, get
from conveyor.workflow.describe import describe_path
from conveyor.workflow.yamlload import Path

ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
SHELLS = ("bash", "pwsh", "python", "sh", "cmd", "powershell")
_ACTION_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[^@\s]+\Z")
_ACTION_FILES = ("action.yml", "action.yaml", "Dockerfile")


def check_shell(ctx: CheckContext, path: Path) -> None:
    shell = get(ctx.data, path)
    if not isinstance(shell, str) or OPEN in shell:
        return
    if shell in SHELLS or "{0}" in shell:
        return
    ctx.error(
        path,
        f"unknown shell '{shell}'; use one of {', '.join(SHELLS)}, "
        "or a command with '{0}' for the script path",
        "shell",
    )


def check_timeout(ctx: CheckContext, path: Path, value: Any) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
        ctx.error(
            path,
            f"timeout-minutes must be a positive number of minutes, got {value}",
            "timeout-minutes",
        )


def _uses(ctx: CheckContext, path: Path, uses: str) -> None:
    if uses.startswith("docker://"):
        if len(uses) > len("docker://"):
            return
        msg = "'docker://' needs an image, e.g. 'docker://alpine:3.20'"
    elif uses.startswith(("./", "$/")):
        _local_action(ctx, path, uses)
        return
    elif _ACTION_RE.match(uses):
        return
    elif "@" not in uses and re.match(r"[\w.-]+/[\w.-]+", uses):
        msg = f"action '{uses}' has no version; add '@ref', e.g. '{uses}@v4'"
    else:
        msg = (
            f"invalid action reference '{uses}'; use 'owner/repo@ref', "
            "'owner/repo/path@ref', './local/path' or 'docker://image'"
        )
    ctx.error(path, msg, "uses")


def _local_action(ctx: CheckContext, path: Path, uses: str) -> None:
    if ctx.root is None or OPEN in uses:
        return
    rel = uses[2:]
    folder = os.path.normpath(os.path.join(ctx.root, rel))  # noqa: PTH118
    if any(os.path.isfile(os.path.join(folder, name)) for name in _ACTION_FILES):  # noqa: PTH113, PTH118
        return
    ctx.warning(
        path,
        f"local action '{uses}' not found (no action.yml in {folder}); "
        "it may be checked out by an earlier step",
        "local-action",
    )


def _step(ctx: CheckContext, path: Path, step: dict[str, Any], ids: dict[str, Path]) -> None:
    where = describe_path(path)
    has_run, has_uses = "run" in step, "uses" in step
    if has_run and has_uses:
        keys = list(step)
        later = "run" if keys.index("run") > keys.index("uses") else "uses"
        ctx.error(
            (*path, later),
            f"{where} has both 'run' and 'uses'; a step either runs a script or uses an "
            "action, split it into two steps",
            "run-and-uses",
            at_key=True,
        )
    elif not has_run and not has_uses:
        ctx.error(
            path,
            f"{where} has neither 'run' (a script) nor 'uses' (an action); add one",
            "required",
        )
    if ctx.is_action and has_run and "shell" not in step:
        ctx.error(
            (*path, "run"),
            f"{where} needs 'shell' in a composite action (e.g. 'shell: bash'); add it",
            "required",
            at_key=True,
        )
    step_id = step.get("id")
    if isinstance(step_id, str):
        if not ID_RE.match(step_id):
            ctx.error(
                (*path, "id"),
                f"invalid step id '{step_id}'; it must start with a letter or '_' and contain "
                "only letters, digits, '-' and '_'",
                "step-id",
            )
        elif step_id in ids:
            first = ctx.doc.pos((*ids[step_id], "id"))
            ctx.error(
                (*path, "id"),
                f"duplicate step id '{step_id}' (first used at line {first.line}); "
                "give each step a unique id",
                "step-id",
            )
        else:
            ids[step_id] = path
    uses = step.get("uses")
    if isinstance(uses, str):
        _uses(ctx, (*path, "uses"), uses)
    check_shell(ctx, (*path, "shell"))
    check_timeout(ctx, (*path, "timeout-minutes"), step.get("timeout-minutes"))


def check_steps(ctx: CheckContext) -> None:
    ids_by_parent: dict[Path, dict[str, Path]] = {}
    for path, step in ctx.steps():
        _step(ctx, path, step, ids_by_parent.setdefault(path[:-1], {}))
