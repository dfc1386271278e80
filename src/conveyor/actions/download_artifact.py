"""Built-in ``actions/download-artifact`` (v3 and v4 inputs) from the local artifact store.

With ``name``: that artifact's files go straight into ``path``. Without: every artifact
of the run (filtered by ``pattern`` / ``artifact-ids``) goes into ``path/<name>/``, or
all into ``path`` with ``merge-multiple: true``. ``run-id`` reads another run.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from conveyor.actions.artifact_store import ArtifactError, ArtifactStore, Manifest
from conveyor.actions.common import (
    InputError,
    expand_user,
    fail,
    get_bool,
    get_input,
    log,
)
from conveyor.engine.ports import ActionContext, ActionResult


def _int_input(context: ActionContext, name: str, default: int) -> int:
    raw = get_input(context, name)
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise InputError(f"input '{name}' must be a number, got {raw!r}") from exc


def _run_folder(context: ActionContext, run_id: int) -> str:
    """The folder of run ``run_id``: this run's, or another run of this database's (the
    plain id for a run it does not know: folders of older conveyors)."""
    if run_id == context.run_id:
        return context.run_folder
    from conveyor.results.db import ResultsDb
    from conveyor.store.repositories import run_folder_key

    with ResultsDb(context.state_dir) as db, db.read() as connection:
        return run_folder_key(connection, run_id) or str(run_id)


def _select(context: ActionContext, store: ArtifactStore, folder: str) -> list[Manifest]:
    manifests = store.list_run(folder)
    pattern = get_input(context, "pattern")
    if pattern:
        manifests = [m for m in manifests if fnmatch.fnmatchcase(m.name, pattern)]
    ids_raw = get_input(context, "artifact-ids")
    if ids_raw:
        try:
            ids = {int(part) for part in ids_raw.split(",") if part.strip()}
        except ValueError as exc:
            raise InputError(
                f"input 'artifact-ids' must be comma-separated numbers: {exc}"
            ) from exc
        manifests = [m for m in manifests if m.id in ids]
    return manifests


def _download(context: ActionContext) -> ActionResult:
    workspace = Path(context.workspace)
    raw_path = expand_user(get_input(context, "path"), context.env)
    dest = (workspace / raw_path).resolve() if raw_path else workspace.resolve()
    run_id = _int_input(context, "run-id", context.run_id)
    store = ArtifactStore.at(Path(context.state_dir))
    folder = _run_folder(context, run_id)
    name = context.masker.mask(get_input(context, "name"))  # stored masked
    outputs = {"download-path": str(dest)}
    if name:
        manifest = store.get(folder, name)
        if manifest is None:
            available = ", ".join(m.name for m in store.list_run(folder)) or "none"
            raise ArtifactError(
                f"artifact '{name}' not found in run {run_id} (available: {available}); "
                "check the name and that the uploading job ran first (needs:)"
            )
        count = store.materialize(manifest, dest)
        log(context, f"Downloaded artifact '{name}' ({count} file(s)) to {dest}")
        return ActionResult(outputs=outputs)
    merge = get_bool(context, "merge-multiple", False)
    manifests = _select(context, store, folder)
    if not manifests:
        log(context, f"No artifacts found in run {run_id}; nothing downloaded")
    for manifest in manifests:
        target = dest if merge else dest / manifest.name
        count = store.materialize(manifest, target)
        log(context, f"Downloaded artifact '{manifest.name}' ({count} file(s)) to {target}")
    return ActionResult(outputs=outputs)


def run(context: ActionContext) -> ActionResult:
    try:
        return _download(context)
    except (InputError, ArtifactError, OSError) as exc:
        return fail(context, f"download-artifact: {exc}")
