"""Validate files and folders of workflows: what ``conveyor validate`` runs."""

from __future__ import annotations

import os
from collections.abc import Iterable

from conveyor.diagnostics import Diagnostic
from conveyor.errors import UserError
from conveyor.workflow.loader import by_place, load_any

DEFAULT_PATH = os.path.join(".github", "workflows")  # noqa: PTH118
_SUFFIXES = (".yml", ".yaml")


def discover_workflows(path: str) -> list[str]:
    """A file is itself; a folder gives its ``*.yml``/``*.yaml`` files (not recursive), sorted."""
    if os.path.isdir(path):  # noqa: PTH112
        names = sorted(n for n in os.listdir(path) if n.endswith(_SUFFIXES))  # noqa: PTH208
        return [
            os.path.join(path, n)  # noqa: PTH118
            for n in names
            if os.path.isfile(os.path.join(path, n))  # noqa: PTH113, PTH118
        ]
    if os.path.isfile(path):  # noqa: PTH113
        return [path]
    raise UserError(f"no such file or folder: {path}; pass a workflow file or folder")


def validate_paths(paths: Iterable[str]) -> list[Diagnostic]:
    """Every diagnostic for every workflow/action file under ``paths``, sorted by place."""
    found: list[Diagnostic] = []
    for path in paths:
        for file in discover_workflows(path):
            found.extend(load_any(file).diagnostics)
    return sorted(found, key=by_place)
