"""Built-in ``actions/upload-artifact`` (v3 and v4 inputs) onto the local artifact store.

Paths follow the real action: the stored paths are relative to the least common
ancestor of the patterns' search paths (a single plain file is stored by its name).
Hidden files are left out unless ``include-hidden-files: true``. The name, the paths and
the contents are stored masked (a secret never reaches the state directory).
"""

from __future__ import annotations

from pathlib import Path

from conveyor.actions.artifact_store import ArtifactError, ArtifactStore
from conveyor.actions.common import (
    InputError,
    fail,
    get_bool,
    get_input,
    get_lines,
    home_dir,
    log,
)
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.expressions.pathglob import PathPattern, common_root, compile_patterns, match_files
from conveyor.expressions.pathglob import search_paths as pattern_search_paths

DEFAULT_NAME = "artifact"
MAX_RETENTION_DAYS = 90
NO_FILES_MODES = ("warn", "error", "ignore")


def artifact_root(patterns: list[PathPattern], files: list[Path]) -> Path:
    """Where stored paths start: see the module docstring."""
    searched = pattern_search_paths(patterns)
    if len(searched) > 1:
        return common_root(searched)
    if len(files) == 1 and searched and files[0] == searched[0]:
        return files[0].parent
    return searched[0] if searched else Path("/")


def _retention(context: ActionContext) -> int:
    raw = get_input(context, "retention-days") or "0"
    try:
        days = int(raw)
    except ValueError as exc:
        raise InputError(f"input 'retention-days' must be a number, got {raw!r}") from exc
    if days < 0 or days > MAX_RETENTION_DAYS:
        raise InputError(f"input 'retention-days' must be between 1 and {MAX_RETENTION_DAYS}")
    return days or MAX_RETENTION_DAYS


def _upload(context: ActionContext) -> ActionResult:
    name = get_input(context, "name") or DEFAULT_NAME
    lines = get_lines(context, "path")
    if not lines:
        raise InputError("input 'path' is required (one path or glob per line)")
    if_none = (get_input(context, "if-no-files-found") or "warn").lower()
    if if_none not in NO_FILES_MODES:
        raise InputError(f"input 'if-no-files-found' must be one of {', '.join(NO_FILES_MODES)}")
    retention = _retention(context)
    overwrite = get_bool(context, "overwrite", False)
    hidden = get_bool(context, "include-hidden-files", False)
    patterns = compile_patterns(lines, Path(context.workspace), home=str(home_dir(context.env)))
    files = match_files(patterns, include_hidden=hidden)
    if not files:
        message = f"No files were found with the provided path: {', '.join(lines)}. "
        if if_none == "error":
            return fail(context, message + "No artifacts will be uploaded.")
        prefix = "Warning: " if if_none == "warn" else ""
        log(context, prefix + message + "No artifacts will be uploaded.")
        return ActionResult()
    root = artifact_root(patterns, files)
    pairs = [(path, path.relative_to(root).as_posix()) for path in files]
    store = ArtifactStore.at(Path(context.state_dir))
    manifest = store.upload(
        context.run_folder,
        context.run_id,
        name,
        pairs,
        overwrite=overwrite,
        retention_days=retention,
        masker=context.masker,
    )
    log(
        context,
        f"Uploaded artifact '{manifest.name}': {len(pairs)} file(s), {manifest.size} bytes, "
        f"id {manifest.id}, digest {manifest.digest[:12]} (root {root})",
    )
    return ActionResult(
        outputs={
            "artifact-id": str(manifest.id),
            "artifact-url": manifest.url,
            "artifact-digest": manifest.digest,
        },
        uploaded=files,
    )


def run(context: ActionContext) -> ActionResult:
    try:
        return _upload(context)
    except (InputError, ArtifactError, OSError) as exc:
        return fail(context, f"upload-artifact: {exc}")
