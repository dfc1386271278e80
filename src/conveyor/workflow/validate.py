"""Validate files and folders of workflows: what ``conveyor validate`` runs."""

from __future__ import annotations

import os
from collections.abc import Iterable

from conveyor.diagnostics import Diagnostic
from conveyor.errors import UserError
from conveyor.workflow.calls import check_call, local_callee
from conveyor.workflow.loader import LoadedWorkflow, by_place, load_any, repo_root
from conveyor.workflow.yamlload import Document, load_file

DEFAULT_PATH = os.path.join(".github", "workflows")  # noqa: PTH118
_SUFFIXES = (".yml", ".yaml")


def default_workflows_path(start: str | None = None) -> str:
    """Where the workflows are for a command run in ``start`` (default: the working
    directory): its own ``.github/workflows``, else that of the nearest folder above it
    that has one, up to the repository's root (the folder holding ``.git``), as a path
    relative to ``start``; ``.github/workflows`` when none exists."""
    here = os.path.abspath(start or os.getcwd())  # noqa: PTH100, PTH109
    current = here
    while True:
        candidate = os.path.join(current, DEFAULT_PATH)  # noqa: PTH118
        if os.path.isdir(candidate):  # noqa: PTH112
            return DEFAULT_PATH if current == here else os.path.relpath(candidate, here)
        parent = os.path.dirname(current)  # noqa: PTH120
        if os.path.exists(os.path.join(current, ".git")) or parent == current:  # noqa: PTH110, PTH118
            return DEFAULT_PATH
        current = parent


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


def local_call_diagnostics(
    loaded: LoadedWorkflow, cache: dict[str, Document] | None = None
) -> list[Diagnostic]:
    """Check every job of ``loaded`` that calls a local workflow file that exists
    (``uses: ./.github/workflows/x.yml``) against that file; ``cache`` keeps loaded callees."""
    cache = {} if cache is None else cache
    jobs = loaded.document.data.get("jobs") if isinstance(loaded.document.data, dict) else None
    if not isinstance(jobs, dict):
        return []
    root = repo_root(loaded.path)
    found: list[Diagnostic] = []
    for job_id, job in jobs.items():
        uses = job.get("uses") if isinstance(job, dict) else None
        target = local_callee(uses, root)
        if target is None or not os.path.isfile(target):  # noqa: PTH113
            continue
        if target not in cache:
            cache[target] = load_file(target)
        found.extend(check_call(loaded.document, job_id, cache[target], name=str(uses)))
    return found


def validate_paths(paths: Iterable[str]) -> list[Diagnostic]:
    """Every diagnostic for every workflow/action file under ``paths``, sorted by place;
    jobs calling local reusable workflows are checked against the files they call."""
    found: list[Diagnostic] = []
    callees: dict[str, Document] = {}
    for path in paths:
        for file in discover_workflows(path):
            loaded = load_any(file)
            found.extend(loaded.diagnostics)
            if isinstance(loaded, LoadedWorkflow):
                found.extend(local_call_diagnostics(loaded, callees))
    return sorted(found, key=by_place)
