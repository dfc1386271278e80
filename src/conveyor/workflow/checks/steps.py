"""Checks on steps: kinds and their keys, ids, shell, ``uses`` references, timeouts,
background steps (``wait``/``wait-all``/``cancel`` targets), local actions."""

from __future__ import annotations

import os
import re
from typing import Any

from conveyor.expressions.templates import OPEN
from conveyor.workflow.checks.base import CheckContext, get, str_items
from conveyor.workflow.describe import describe_path
from conveyor.workflow.yamlload import Path

ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
MAX_ID_LENGTH = 100
SHELLS = ("bash", "pwsh", "python", "sh", "cmd", "powershell")
_ACTION_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@]+)?@[^@]+\Z")
_ACTION_FILES = ("action.yml", "action.yaml", "Dockerfile")

_COMMON = frozenset({"name", "id", "continue-on-error"})
_RUNNING = _COMMON | {"if", "timeout-minutes", "env", "background"}
STEP_KINDS: dict[str, frozenset[str]] = {
    "run": _RUNNING | {"run", "working-directory", "shell"},
    "uses": _RUNNING | {"uses", "with"},
    "wait": _COMMON | {"wait"},
    "wait-all": _COMMON | {"wait-all"},
    "cancel": _COMMON | {"cancel"},
    "parallel": frozenset({"parallel"}),
}
"""The keys each kind of workflow step takes (GitHub's schema)."""
ACTION_STEP_KINDS: dict[str, frozenset[str]] = {
    "run": _COMMON | {"if", "run", "shell", "env", "working-directory"},
    "uses": _COMMON | {"if", "uses", "with", "env"},
}
"""The keys each kind of composite-action step takes."""
_EVERY_KEY = frozenset().union(*STEP_KINDS.values())
_EVERY_ACTION_KEY = frozenset().union(*ACTION_STEP_KINDS.values())
_WHAT = {
    "run": "runs a script ('run')",
    "uses": "uses an action ('uses')",
    "wait": "waits for background steps ('wait')",
    "wait-all": "waits for all background steps ('wait-all')",
    "cancel": "cancels a background step ('cancel')",
    "parallel": "groups parallel steps ('parallel')",
}


def id_problem(value: str) -> str:
    """Why ``value`` is not a valid job or step id ('' when it is)."""
    if not ID_RE.match(value) or len(value) >= MAX_ID_LENGTH:
        return (
            f"invalid id '{value}'; it must start with a letter or '_', contain only letters, "
            f"digits, '-' and '_', and be shorter than {MAX_ID_LENGTH} characters"
        )
    if value.startswith("__"):
        return f"invalid id '{value}'; ids starting with '__' are reserved by GitHub"
    return ""


def check_shell(ctx: CheckContext, path: Path) -> None:
    shell = get(ctx.data, path)
    if shell is None or shell == "":
        if path[-1:] == ("shell",) and not ctx.is_action and _present(ctx, path):
            ctx.error(path, "'shell' is empty; name a shell or remove the key", "shell")
        return
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


def _present(ctx: CheckContext, path: Path) -> bool:
    parent = get(ctx.data, path[:-1])
    return isinstance(parent, dict) and path[-1] in parent


def check_timeout(ctx: CheckContext, path: Path, value: Any) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
        ctx.warning(
            path,
            f"timeout-minutes is {value}; GitHub accepts it, but a timeout should be a "
            "positive number of minutes",
            "timeout-minutes",
        )


def _uses(ctx: CheckContext, path: Path, uses: str) -> None:
    ref = uses.strip()
    if ref.startswith("docker://"):
        if len(ref) > len("docker://"):
            return
        msg = "'docker://' needs an image, e.g. 'docker://alpine:3.20'"
    elif ref.startswith(("./", "$/")):
        _local_action(ctx, path, ref)
        return
    elif _ACTION_RE.match(ref):
        return
    elif "@" not in ref and re.match(r"[\w.-]+/[\w.-]+", ref):
        msg = f"action '{uses}' has no version; add '@ref', e.g. '{ref}@v4'"
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


def _kind(ctx: CheckContext, path: Path, step: dict[str, Any]) -> str | None:
    """The step's kind; reports a step with two kinds or none."""
    kinds = ACTION_STEP_KINDS if ctx.is_action else STEP_KINDS
    found = [k for k in step if k in kinds]
    if len(found) == 1:
        return found[0]
    where = describe_path(path)
    if not found:
        ctx.error(
            path,
            f"{where} has neither 'run' (a script) nor 'uses' (an action); add one",
            "required",
        )
        return None
    for later in found[1:]:
        rule = "run-and-uses" if {found[0], later} == {"run", "uses"} else "step-kind"
        ctx.error(
            (*path, later),
            f"{where} has both '{found[0]}' and '{later}'; a step either "
            f"{_WHAT[found[0]].split(' (')[0]} or {_WHAT[later].split(' (')[0]}, "
            "split it into two steps",
            rule,
            at_key=True,
        )
    return found[0]


def _kind_keys(ctx: CheckContext, path: Path, step: dict[str, Any], kind: str) -> None:
    kinds = ACTION_STEP_KINDS if ctx.is_action else STEP_KINDS
    every = _EVERY_ACTION_KEY if ctx.is_action else _EVERY_KEY
    for key in step:
        if key in every and key not in kinds[kind] and key not in kinds:
            ctx.error(
                (*path, key),
                f"'{key}' is not allowed in {describe_path(path)}, which {_WHAT[kind]}; "
                f"remove it (allowed: {', '.join(sorted(kinds[kind]))})",
                "unknown-key",
                at_key=True,
            )


def _targets(ctx: CheckContext, path: Path, step: dict[str, Any], known: dict[str, Path]) -> None:
    """``wait``/``cancel`` name earlier background steps; ``wait-all`` is true or empty."""
    own = step.get("id")
    for key in ("wait", "cancel"):
        for index, target in str_items(step.get(key)):
            where: Path = (*path, key) if index is None else (*path, key, index)
            if target.startswith("__"):
                msg = f"invalid step id '{target}'; ids starting with '__' are reserved"
            elif isinstance(own, str) and target.lower() == own.lower():
                msg = f"step '{own}' cannot {key} for itself"
            elif target not in known:
                msg = f"'{key}' names unknown step id '{target}'; name an earlier step's id"
            else:
                continue
            ctx.error(where, msg, "step-id")
    if step.get("wait-all") is False:
        ctx.error((*path, "wait-all"), "'wait-all' must be true or left empty", "type")


def _step(ctx: CheckContext, path: Path, step: dict[str, Any], ids: dict[str, Path]) -> None:
    kind = _kind(ctx, path, step)
    if kind is not None:
        _kind_keys(ctx, path, step, kind)
    if ctx.is_action and kind == "run" and "shell" not in step:
        ctx.error(
            (*path, "run"),
            f"{describe_path(path)} needs 'shell' in a composite action (e.g. 'shell: bash'); "
            "add it",
            "required",
            at_key=True,
        )
    _targets(ctx, path, step, ids)
    step_id = step.get("id")
    if isinstance(step_id, str) and step_id:
        problem = id_problem(step_id)
        if problem:
            ctx.error((*path, "id"), problem.replace("invalid id", "invalid step id"), "step-id")
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
    ids_by_scope: dict[Path, dict[str, Path]] = {}
    for path, step in ctx.steps():
        scope = path[:3] if path[:1] == ("jobs",) else path[:2]
        _step(ctx, path, step, ids_by_scope.setdefault(scope, {}))
