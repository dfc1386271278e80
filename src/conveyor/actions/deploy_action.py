"""``conveyor/deploy@v1``: deploy a published build to an environment through its app's
provider -- stage, smoke, publish, switch, verify -- with automatic rollback.

Inputs:

* ``app`` (an ``[apps.<name>]``), ``environment`` (default: the job's, from
  ``jobs.<id>.environment``), ``version`` (the build, e.g.
  ``${{ steps.publish.outputs.version }}`` or the promote step's), ``digest`` (optional:
  refuse unless the build has this digest);
* ``smoke``: checks of the staged version before it goes live, one per line -- ``GET
  /health 200 ok`` (method, path, status, text the body must contain) or a command that
  finds the staged version at ``$DEPLOY_URL`` (:mod:`conveyor.delivery.checks`);
* ``verify``: the same, once it is live (``$DEPLOY_URL``: ``url``, else the
  environment's ``url`` in conveyor.toml, else the provider's live address); a failure
  rolls back to the previous version;
* ``rollback-on``: job ids of this run whose failure rolls this deployment back later
  (e.g. the E2E job that tests the new version);
* ``lock-timeout`` (default ``10m``): how long to wait while another deployment of the
  app to the environment is in progress; ``check-timeout`` (default ``10m``) per command;
  ``config`` (path to conveyor.toml).

The build's files are checked against its digest before they are staged. Outputs:
``version``, ``digest``, ``provider-version``, ``previous-version``, ``deployment-id``,
``url``, ``status`` (``live``, or why not).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import TypeAdapter, ValidationError

from conveyor.actions.artifact_store import ArtifactError
from conveyor.actions.common import InputError, fail, get_input, log
from conveyor.actions.delivery_common import (
    delivery_config,
    job_environment,
    name_input,
    open_store,
    run_repository,
    split_words,
)
from conveyor.actions.delivery_wiring import wire
from conveyor.actions.promote_action import hand_out
from conveyor.delivery.checks import parse_checks
from conveyor.delivery.deploy import DeployRequest, deploy
from conveyor.delivery.ports import ArtifactRef
from conveyor.delivery.rollback import DeliveryError
from conveyor.delivery.settings import Duration
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.engine.secrets import without_secrets
from conveyor.errors import ConveyorError
from conveyor.store.deliveries import BuildArtifact

_SECONDS = TypeAdapter(Duration)


def _seconds(context: ActionContext, name: str, default: str) -> float:
    raw = get_input(context, name) or default
    try:
        return float(_SECONDS.validate_python(raw))
    except ValidationError as exc:
        raise InputError(f"input '{name}': {raw!r} is not a duration (e.g. 30s, 10m)") from exc


def _deploy(context: ActionContext, staging: Path) -> ActionResult:
    app = name_input(context, "app")
    environment = job_environment(context)
    version = get_input(context, "version")
    if not version:
        raise InputError(
            "input 'version' is required: the build to deploy, e.g. "
            "${{ steps.publish.outputs.version }} (conveyor/publish@v1 or conveyor/promote@v1)"
        )
    config = delivery_config(context)
    wired = wire(config, app, environment, Path(context.state_dir))
    env_settings = config.environment(environment)
    smoke = parse_checks(get_input(context, "smoke"))
    verify = parse_checks(get_input(context, "verify"))
    rollback_on = split_words(get_input(context, "rollback-on"))
    lock_timeout = _seconds(context, "lock-timeout", "10m")
    check_timeout = _seconds(context, "check-timeout", "10m")
    with open_store(context) as db:
        repository = run_repository(db, context)
        artifact = db.artifact(repository, app, version)
        if artifact is None:
            raise InputError(
                f"no build {version!r} of app {app!r}: publish it with conveyor/publish@v1 "
                "(or hand it over with conveyor/promote@v1) first"
            )
        wanted = get_input(context, "digest")
        if wanted and wanted != artifact.digest:
            raise InputError(
                f"build {version} of {app} has digest {artifact.digest}, not {wanted}: refusing it"
            )
        ref = _artifact_ref(context, artifact, staging)
        request = DeployRequest(
            target=wired.target,
            provider_name=wired.settings.provider,
            artifact=ref,
            repository_id=repository,
            run_id=context.run_id,
            job_key=context.job_key,
            artifact_id=artifact.id,
            smoke=smoke,
            verify=verify,
            rollback_on=rollback_on,
            lock_timeout=lock_timeout,
            live_url=get_input(context, "url") or env_settings.url or "",
            env={**without_secrets(os.environ), **context.env},
            cwd=Path(context.workspace),
            command_timeout=check_timeout,
            notify=config.loaded.config.notify,
        )
        try:
            done = deploy(
                db,
                wired.provider,
                request,
                log=lambda line: log(context, line),
                cancel=context.cancel,
            )
        except DeliveryError as exc:
            failed = fail(context, str(exc))
            failed.outputs = {"version": version, "digest": artifact.digest, "status": "failed"}
            failed.summary = f"{exc}\n"
            return failed
    row = done.deployment
    outputs = {
        "version": row.version, "digest": row.digest, "provider-version": row.provider_version,
        "previous-version": row.previous_version, "deployment-id": str(row.id),
        "url": done.url, "status": row.status,
    }  # fmt: skip
    summary = (
        f"Deployed **{app}** `{row.version}` to **{environment}** (was "
        f"`{row.previous_version or 'nothing'}`), digest `{row.digest}`"
        + (f", {done.url}" if done.url else "")
        + "\n"
    )
    return ActionResult(outputs=outputs, summary=summary)


def _artifact_ref(context: ActionContext, artifact: BuildArtifact, staging: Path) -> ArtifactRef:
    """The build as the provider takes it: its files written (and checked) to ``staging``,
    or its pinned image reference."""
    outputs = hand_out(context, artifact, staging)
    location = outputs["image"] if artifact.kind == "image" else outputs["path"]
    kind: Literal["files", "image"] = "image" if artifact.kind == "image" else "files"
    return ArtifactRef(
        app=artifact.app, version=artifact.version, digest=artifact.digest, kind=kind,
        location=location,
    )  # fmt: skip


def run(context: ActionContext) -> ActionResult:
    folder = Path(context.state_dir) / "artifacts" / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"run{context.run_id}-", dir=folder))
    try:
        return _deploy(context, staging)
    except (InputError, ArtifactError, ConveyorError, ValueError, OSError) as exc:
        return fail(context, f"deploy: {exc}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
