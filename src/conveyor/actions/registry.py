"""The built-in actions: ``uses:`` names (``owner/repo[/path]``, any ``@ref``) that run in-process.

Add a built-in with one line in :data:`BUILTINS` (or :func:`register_builtin` at runtime).
"""

from __future__ import annotations

from conveyor.actions import (
    cache,
    changes,
    checkout,
    delivery_checks,
    download_artifact,
    notify_action,
    promote_action,
    publish_action,
    schema_actions,
    setup_go,
    setup_node,
    setup_python,
    test_action,
    upload_artifact,
)
from conveyor.engine.ports import BuiltinAction, BuiltinCheck

BUILTINS: dict[str, BuiltinAction] = {
    "actions/checkout": checkout.run,
    "actions/setup-python": setup_python.run,
    "actions/setup-node": setup_node.run,
    "actions/setup-go": setup_go.run,
    "actions/cache": cache.run,
    "actions/cache/restore": cache.run_restore,
    "actions/cache/save": cache.run_save,
    "actions/upload-artifact": upload_artifact.run,
    "actions/download-artifact": download_artifact.run,
    "conveyor/changes": changes.run,
    "dorny/paths-filter": changes.run,
    "conveyor/test": test_action.run,
    "conveyor/notify": notify_action.run,
    "conveyor/publish": publish_action.run,
    "conveyor/promote": promote_action.run,
    "conveyor/schema-gate": schema_actions.gate,
    "conveyor/migrate": schema_actions.migrate,
}


# Checks of a built-in's inputs before anything runs (an unknown app or environment).
CHECKS: dict[str, BuiltinCheck] = {
    "conveyor/publish": delivery_checks.check_publish,
    "conveyor/promote": delivery_checks.check_promote,
    "conveyor/deploy": delivery_checks.check_deploy,
}


def register_builtin(name: str, action: BuiltinAction) -> None:
    """Make ``uses: <name>@<any ref>`` run ``action`` (``name`` is ``owner/repo[/path]``)."""
    BUILTINS[name.lower()] = action


def find_builtin(name: str) -> BuiltinAction | None:
    """The built-in for ``owner/repo[/path]`` (case-insensitive), if any."""
    return BUILTINS.get(name.lower())


def find_check(name: str) -> BuiltinCheck | None:
    """The compile-time check of the built-in ``owner/repo[/path]``, if it has one."""
    return CHECKS.get(name.lower())
