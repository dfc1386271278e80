"""``conveyor/publish@v1``: register a build artifact, once, to promote everywhere.

Inputs: ``app`` (an ``[apps.<name>]`` of conveyor.toml), and either ``path`` (files,
directories or globs, one per line, as ``actions/upload-artifact`` reads them; a single
archive is stored as it is) or ``image`` (an image reference; pinned by ``@sha256:...``
or by the ``digest`` input). ``version`` (default ``sha-<short sha>-<YYYYMMDD-HHMMSS>``,
UTC), ``include-hidden-files`` (default false), ``config`` (path to conveyor.toml).

Files are stored content-addressed in the artifact store (``artifacts/builds``); the
build's digest is ``sha256:`` of its file list (each path with its content's sha256), so
the same files always give the same digest. The build is recorded with its app, version,
digest, commit, ref, run and job; a version name is immutable.

Outputs: ``app``, ``version``, ``digest``, ``kind`` (files or image), ``path`` (the
directory the files were taken from), ``image``, ``commit``, ``artifact-id``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from conveyor.actions.artifact_store import ArtifactError, ArtifactStore
from conveyor.actions.common import InputError, fail, get_bool, get_input, get_lines, home_dir, log
from conveyor.actions.delivery_common import delivery_config, name_input, open_store, run_repository
from conveyor.actions.upload_artifact import artifact_root
from conveyor.delivery.settings import NAME
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.errors import ConveyorError
from conveyor.expressions.pathglob import compile_patterns, match_files
from conveyor.store.deliveries import VersionConflict

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
SHORT_SHA = 7  # git rev-parse --short


def default_version(commit: str, now: float | None = None) -> str:
    """The seeds' immutable tag: ``sha-<short sha>-<YYYYMMDD-HHMMSS>`` (UTC)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"sha-{(commit or 'unknown')[:SHORT_SHA]}-{stamp}"


def image_reference(image: str, digest: str) -> tuple[str, str]:
    """``(reference pinned by digest, digest)`` of an ``image`` input."""
    name, _, pinned = image.partition("@")
    if pinned and digest and pinned != digest:
        raise InputError(f"input 'image' is pinned to {pinned} but input 'digest' is {digest}")
    chosen = pinned or digest
    if not chosen:
        raise InputError(
            "an image must be pinned by its digest: give 'image: name@sha256:<hex>' or the "
            "'digest' input (e.g. from docker buildx's metadata)"
        )
    if not DIGEST.match(chosen):
        raise InputError(f"image digest {chosen!r} is not sha256:<64 hex digits>")
    return f"{name}@{chosen}", chosen


def _publish(context: ActionContext) -> ActionResult:
    app = name_input(context, "app")
    delivery_config(context).app(app)
    commit = str(context.github.get("sha") or "")
    version = get_input(context, "version") or default_version(commit)
    if not NAME.match(version):
        raise InputError(f"input 'version': {version!r} is not a name (letters, digits, . _ -)")
    paths, image = get_lines(context, "path"), get_input(context, "image")
    if bool(paths) == bool(image):
        raise InputError("give either input 'path' (files) or input 'image', not both")
    outputs = {"app": app, "version": version, "commit": commit, "path": "", "image": ""}
    if image:
        location, digest = image_reference(image, get_input(context, "digest"))
        kind, size, outputs["image"] = "image", 0, location
    else:
        hidden = get_bool(context, "include-hidden-files", False)
        workspace = Path(context.workspace)
        patterns = compile_patterns(paths, workspace, home=str(home_dir(context.env)))
        files = match_files(patterns, include_hidden=hidden)
        if not files:
            raise InputError(f"no files found at input 'path': {', '.join(paths)}")
        root = artifact_root(patterns, files)
        pairs = [(f, f.relative_to(root).as_posix()) for f in files]
        store = ArtifactStore.at(Path(context.state_dir))
        manifest = store.put_build(app, version, pairs, context.run_id, masker=context.masker)
        kind, size, digest = "files", manifest.size, f"sha256:{manifest.digest}"
        location = ArtifactStore.build_key(app, version)
        outputs["path"] = str(root)
    with open_store(context) as db:
        artifact = db.register_artifact(
            run_repository(db, context),
            app=app,
            version=version,
            digest=digest,
            kind=kind,
            location=location,
            size=size,
            commit=commit,
            ref=str(context.github.get("ref") or ""),
            run_id=context.run_id,
            job_key=context.job_key,
        )
    what = location if kind == "image" else f"{size} bytes from {outputs['path']}"
    log(context, f"Published {app} {version} ({kind}: {what}), digest {digest}")
    outputs.update(digest=digest, kind=kind, **{"artifact-id": str(artifact.id)})
    summary = f"Published **{app}** `{version}` ({kind}), digest `{digest}`, commit `{commit}`\n"
    return ActionResult(outputs=outputs, summary=summary)


def run(context: ActionContext) -> ActionResult:
    try:
        return _publish(context)
    except (InputError, ArtifactError, VersionConflict, ConveyorError, OSError) as exc:
        return fail(context, f"publish: {exc}")
