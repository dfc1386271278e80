"""Check a job that calls a reusable workflow against the workflow it calls.

:func:`check_call` is pure: it gets the caller's loaded document, the calling job's
id and the callee's loaded document, and returns every problem as a
:class:`~conveyor.diagnostics.Diagnostic` positioned in the caller's file (the
caller's mistakes are there), as GitHub does:

- the callee must declare ``on: workflow_call`` (error at the caller's ``uses``);
- every ``with:`` key must be a declared input (error at the key), every required
  input must be given (error at ``uses``), and a literal value must have the declared
  type: ``boolean`` takes a boolean, ``number`` a number, ``string`` any scalar
  (error at the value; expressions are checked when they run);
- every ``secrets:`` key must be a declared secret and every required secret must be
  given, unless the caller passes ``secrets: inherit``.

Input and secret names are case-insensitive. :func:`local_callee` says which file a
``uses: ./.github/workflows/x.yml`` names, so ``conveyor validate`` can load it.
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from conveyor.diagnostics import Diagnostic
from conveyor.expressions.templates import OPEN
from conveyor.workflow.checks.base import get
from conveyor.workflow.describe import describe_value
from conveyor.workflow.yamlload import Document, Path


def _declares_call(on: Any) -> bool:
    if isinstance(on, str):
        return on == "workflow_call"
    if isinstance(on, list):
        return "workflow_call" in on
    return isinstance(on, dict) and "workflow_call" in on


def _declared(callee: Document, what: str) -> dict[str, tuple[str, Any]]:
    """Declared inputs or secrets by lower-case name: (name as written, its spec)."""
    found = get(callee.data, ("on", "workflow_call", what))
    if not isinstance(found, dict):
        return {}
    return {str(name).lower(): (str(name), spec) for name, spec in found.items()}


def _hint(name: str, declared: dict[str, tuple[str, Any]]) -> str:
    names = [written for written, _ in declared.values()]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if names:
        return f"it declares: {', '.join(names)}"
    return "it declares none"


def _type_problem(kind: Any, value: Any) -> str:
    """Why a literal ``value`` does not fit input type ``kind`` ('' when it does)."""
    if isinstance(value, str) and OPEN in value:
        return ""
    if kind == "boolean" and not isinstance(value, bool):
        return "a boolean (true or false)"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "a number"
    if kind == "string" and isinstance(value, dict | list):
        return "a string"
    return ""


def _required(spec: Any) -> bool:
    return isinstance(spec, dict) and spec.get("required") is True


class _Call:
    def __init__(self, caller: Document, job_id: str, callee: Document, name: str) -> None:
        self.caller = caller
        self.base: Path = ("jobs", job_id)
        self.job_id = job_id
        self.callee = callee
        self.name = name
        self.out: list[Diagnostic] = []

    def error(self, path: Path, message: str, rule: str, *, at_key: bool = False) -> None:
        self.out.append(self.caller.diag(path, message, rule, at_key=at_key))

    def given(self, key: str) -> dict[str, Any] | None:
        value = get(self.caller.data, (*self.base, key))
        return value if isinstance(value, dict) else None

    def inputs(self) -> None:
        declared = _declared(self.callee, "inputs")
        given = self.given("with") or {}
        given_lower = {str(k).lower() for k in given}
        for key, value in given.items():
            path: Path = (*self.base, "with", key)
            found = declared.get(str(key).lower())
            if found is None:
                self.error(
                    path,
                    f"input '{key}' is not defined by workflow '{self.name}'; "
                    f"{_hint(str(key), declared)}",
                    "call-input",
                    at_key=True,
                )
                continue
            spec = found[1]
            kind = spec.get("type") if isinstance(spec, dict) else None
            problem = _type_problem(kind, value)
            if problem:
                self.error(
                    path,
                    f"input '{found[0]}' of workflow '{self.name}' is of type {kind}: it must be "
                    f"{problem}; got {describe_value(value)}",
                    "call-input",
                )
        for lower, (name, spec) in declared.items():
            if _required(spec) and lower not in given_lower:
                self.error(
                    (*self.base, "uses"),
                    f"job '{self.job_id}' does not give input '{name}', which workflow "
                    f"'{self.name}' requires; add it under 'with'",
                    "call-input",
                )

    def secrets(self) -> None:
        if get(self.caller.data, (*self.base, "secrets")) == "inherit":
            return
        declared = _declared(self.callee, "secrets")
        given = self.given("secrets") or {}
        given_lower = {str(k).lower() for k in given}
        for key in given:
            if str(key).lower() not in declared:
                self.error(
                    (*self.base, "secrets", key),
                    f"secret '{key}' is not defined by workflow '{self.name}'; "
                    f"{_hint(str(key), declared)}",
                    "call-secret",
                    at_key=True,
                )
        for lower, (name, spec) in declared.items():
            if _required(spec) and lower not in given_lower:
                self.error(
                    (*self.base, "uses"),
                    f"job '{self.job_id}' does not pass secret '{name}', which workflow "
                    f"'{self.name}' requires; add it under 'secrets' (or 'secrets: inherit')",
                    "call-secret",
                )


def check_call(
    caller: Document, job_id: str, callee: Document, *, name: str | None = None
) -> list[Diagnostic]:
    """Every problem with job ``job_id`` of ``caller`` calling ``callee`` (see the module).

    ``name`` is how messages name the callee (default: its path). The callee's own
    problems are not reported here: validate it on its own.
    """
    call = _Call(caller, job_id, callee, name or callee.path)
    if not isinstance(callee.data, dict) or not _declares_call(callee.data.get("on")):
        call.error(
            ("jobs", job_id, "uses"),
            f"job '{job_id}' calls workflow '{call.name}', which does not declare "
            "'on: workflow_call'; add it to the called workflow",
            "call-workflow",
        )
        return call.out
    call.inputs()
    call.secrets()
    return sorted(call.out, key=lambda d: (d.line, d.col, d.rule, d.message))


def local_callee(uses: Any, root: str) -> str | None:
    """The file a local reusable-workflow reference (``./.github/workflows/x.yml``) names
    under repository ``root``; None for remote references and expressions."""
    if not isinstance(uses, str) or not uses.startswith("./") or OPEN in uses:
        return None
    return os.path.normpath(os.path.join(root, uses[2:]))  # noqa: PTH118
