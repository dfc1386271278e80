"""``conveyor/promote@v1``: hand the job exactly the build that is live in another
environment for this commit -- build once, promote everywhere.

Inputs: ``app``, ``from`` (an environment, e.g. ``dev``), ``commit`` (default: the
run's ``github.sha``), ``path`` (where the files go, relative to the workspace; default
``.conveyor-artifacts/<app>``), ``config`` (path to conveyor.toml).

The build chosen is the one of the commit that is live in ``from``, else the one most
recently deployed there successfully. Its files are written to ``path``, each checked
against its sha256 and the file list against the digest recorded at publish time: a
changed blob or manifest is refused. With no such build the step fails with what to do
("No dev artifact for <sha>: push to dev first and wait for its deploy").

Outputs: ``app``, ``version``, ``digest``, ``kind``, ``path``, ``image``, ``commit``,
``artifact-id``, ``from``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conveyor.actions.artifact_store import ArtifactError, ArtifactStore
from conveyor.actions.common import InputError, fail, get_input, log, resolve_under
from conveyor.actions.delivery_common import delivery_config, name_input, open_store, run_repository
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.errors import ConveyorError
from conveyor.store.deliveries import BuildArtifact

DEFAULT_DIR = ".conveyor-artifacts"


def hand_out(context: ActionContext, artifact: BuildArtifact, dest: Path) -> dict[str, str]:
    """Write the build's files to ``dest`` (checked), or check an image's pinning; the
    outputs describing it."""
    outputs = {
        "app": artifact.app, "version": artifact.version, "digest": artifact.digest,
        "kind": artifact.kind, "commit": artifact.commit, "artifact-id": str(artifact.id),
        "path": "", "image": "",
    }  # fmt: skip
    if artifact.kind == "image":
        if not artifact.location.endswith("@" + artifact.digest):
            raise ArtifactError(
                f"build {artifact.version} of {artifact.app}: image {artifact.location} is not "
                f"pinned to its recorded digest {artifact.digest}; refusing it"
            )
        outputs["image"] = artifact.location
        return outputs
    store = ArtifactStore.at(Path(context.state_dir))
    manifest = store.get_build(artifact.location)
    if manifest is None:
        raise ArtifactError(
            f"build {artifact.version} of {artifact.app}: its files are gone from "
            f"{store.where}/{artifact.location}; publish it again"
        )
    store.verify(manifest, artifact.digest)
    if dest.exists():
        _empty(dest)
    count = store.materialize(manifest, dest, verify=True)
    log(context, f"{count} file(s) of {artifact.app} {artifact.version} written to {dest}")
    outputs["path"] = str(dest)
    return outputs


def _empty(folder: Path) -> None:
    for item in folder.iterdir():
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)
        else:
            item.unlink()


def _promote(context: ActionContext) -> ActionResult:
    app = name_input(context, "app")
    source = name_input(context, "from")
    config = delivery_config(context)
    config.app(app)
    config.environment(source)
    commit = get_input(context, "commit") or str(context.github.get("sha") or "")
    if not commit:
        raise InputError("input 'commit' is required (the run has no github.sha)")
    workspace = Path(context.workspace)
    dest = resolve_under(workspace, get_input(context, "path") or f"{DEFAULT_DIR}/{app}", "path")
    with open_store(context) as db:
        artifact = db.deployed_artifact(run_repository(db, context), app, source, commit)
    if artifact is None:
        return fail(
            context,
            f"No {source} artifact for {commit}: push to {source} first and wait for its "
            f"deploy (no build of app {app} for this commit was deployed to {source})",
        )
    log(
        context,
        f"Promoting {app} {artifact.version} (digest {artifact.digest}, commit "
        f"{artifact.commit}) from {source}",
    )
    outputs = hand_out(context, artifact, dest)
    outputs["from"] = source
    summary = (
        f"Promoted **{app}** `{artifact.version}` from {source}, digest `{artifact.digest}` "
        "(checked)\n"
    )
    return ActionResult(outputs=outputs, summary=summary)


def run(context: ActionContext) -> ActionResult:
    try:
        return _promote(context)
    except (InputError, ArtifactError, ConveyorError, OSError) as exc:
        return fail(context, f"promote: {exc}")
