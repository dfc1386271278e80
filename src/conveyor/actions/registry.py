"""The built-in actions: ``uses:`` names (``owner/repo[/path]``, any ``@ref``) that run in-process.

Add a built-in with one line in :data:`BUILTINS` (or :func:`register_builtin` at runtime).
A line names the function as ``module:function``; the module is imported the first time a
workflow uses it, so a run that uses no built-in imports none of them.
"""

from __future__ import annotations

import importlib
from typing import TypeVar

from conveyor.engine.ports import BuiltinAction, BuiltinCheck

T = TypeVar("T")

_A = "conveyor.actions."

BUILTINS: dict[str, BuiltinAction | str] = {
    "actions/checkout": _A + "checkout:run",
    "actions/setup-python": _A + "setup_python:run",
    "actions/setup-node": _A + "setup_node:run",
    "actions/setup-go": _A + "setup_go:run",
    "actions/cache": _A + "cache:run",
    "actions/cache/restore": _A + "cache:run_restore",
    "actions/cache/save": _A + "cache:run_save",
    "actions/upload-artifact": _A + "upload_artifact:run",
    "actions/download-artifact": _A + "download_artifact:run",
    "conveyor/changes": _A + "changes:run",
    "dorny/paths-filter": _A + "changes:run",
    "conveyor/test": _A + "test_action:run",
    "conveyor/notify": _A + "notify_action:run",
    "conveyor/perf": _A + "perf_action:run",
    "conveyor/publish": _A + "publish_action:run",
    "conveyor/promote": _A + "promote_action:run",
    "conveyor/deploy": _A + "deploy_action:run",
    "conveyor/schema-gate": _A + "schema_actions:gate",
    "conveyor/migrate": _A + "schema_actions:migrate",
}

# Checks of a built-in's inputs before anything runs (an unknown app or environment),
# imported like the built-ins: the first time a workflow uses one.
CHECKS: dict[str, BuiltinCheck | str] = {
    "conveyor/publish": _A + "delivery_checks:check_publish",
    "conveyor/promote": _A + "delivery_checks:check_promote",
    "conveyor/deploy": _A + "delivery_checks:check_deploy",
}


def register_builtin(name: str, action: BuiltinAction) -> None:
    """Make ``uses: <name>@<any ref>`` run ``action`` (``name`` is ``owner/repo[/path]``)."""
    BUILTINS[name.lower()] = action


def find_builtin(name: str) -> BuiltinAction | None:
    """The built-in for ``owner/repo[/path]`` (case-insensitive), if any."""
    return _find(BUILTINS, name)


def find_check(name: str) -> BuiltinCheck | None:
    """The compile-time check of the built-in ``owner/repo[/path]``, if it has one."""
    return _find(CHECKS, name)


def _find(table: dict[str, T | str], name: str) -> T | None:
    """``table``'s entry for ``name``, its ``module:function`` imported the first time."""
    key = name.lower()
    found = table.get(key)
    if isinstance(found, str):
        module, _, function = found.partition(":")
        loaded: T = getattr(importlib.import_module(module), function)
        table[key] = loaded
        return loaded
    return found
