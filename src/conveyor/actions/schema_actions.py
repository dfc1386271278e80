"""``conveyor/schema-gate@v1`` and ``conveyor/migrate@v1``: a database's schema against
the code, as a blocking gate, and migrations applied with a preview.

Both take ``database-url`` (typically ``${{ secrets.DATABASE_URL }}``, an environment
secret), ``environment`` (default: the job's) and ``alembic`` (an Alembic script
directory or its ``alembic.ini``, relative to the workspace); ``version-table``
(default ``alembic_version``). The project's code runs in a child process
(:mod:`conveyor.delivery.schema`), with the workspace first on ``PYTHONPATH``.

**schema-gate**: ``alembic`` and/or ``metadata`` (``module:attribute``). The step fails
with the exact differences: pending revisions (listed), a revision the scripts do not
know, missing tables and columns, incompatible types. The verdict is recorded for the
run and the environment, and ``conveyor/deploy@v1`` to that environment refuses while
it is a failure -- ``continue-on-error`` does not get a deploy past it. Outputs: ``ok``,
``current``, ``head``, ``pending`` (how many).

**migrate**: previews the upgrade's SQL (Alembic's offline mode) in the step summary,
applies it up to ``revision`` (default ``heads``; ``preview-only: true`` applies
nothing), and records the environment's schema revision, which each later deployment
carries (a rollback never goes behind it without ``--force``). Outputs: ``revision``,
``previous-revision``, ``applied`` (how many revisions).
"""

from __future__ import annotations

import os
from pathlib import Path

from conveyor.actions.common import InputError, fail, get_bool, get_input, log, resolve_under
from conveyor.actions.delivery_common import (
    job_environment,
    name_input,
    open_store,
    run_repository,
)
from conveyor.delivery.schema import SchemaRequest, SchemaResult, run_schema
from conveyor.engine.contexts import ENVIRONMENT_ENV
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.engine.secrets import without_secrets
from conveyor.errors import ConveyorError

GATE = "schema"


def _request(context: ActionContext, command: str) -> SchemaRequest:
    url = get_input(context, "database-url")
    if not url:
        raise InputError(
            "input 'database-url' is required (e.g. ${{ secrets.DATABASE_URL }} from the "
            "environment's secrets)"
        )
    context.masker.add(url)
    workspace = Path(context.workspace)
    alembic = get_input(context, "alembic")
    metadata = get_input(context, "metadata")
    if command == "gate" and not (alembic or metadata):
        raise InputError(
            "give input 'alembic' (a script directory) and/or 'metadata' (module:attr)"
        )
    if command == "migrate" and not alembic:
        raise InputError("input 'alembic' is required (the Alembic script directory)")
    return SchemaRequest(
        command=command,
        url=url,
        alembic=str(resolve_under(workspace, alembic, "alembic")) if alembic else "",
        metadata=metadata,
        version_table=get_input(context, "version-table") or "alembic_version",
        target=get_input(context, "revision") or "heads",
        apply=not get_bool(context, "preview-only", False),
    )


def _run(context: ActionContext, request: SchemaRequest) -> SchemaResult:
    env = {**without_secrets(os.environ), **context.env}
    return run_schema(
        request,
        cwd=Path(context.workspace),
        env=env,
        log=lambda line: log(context, line),
        cancel=context.cancel,
    )


def _environment(context: ActionContext) -> str:
    if get_input(context, "environment") or context.env.get(ENVIRONMENT_ENV):
        return job_environment(context)
    return ""


def gate(context: ActionContext) -> ActionResult:
    """``conveyor/schema-gate@v1``."""
    try:
        environment = _environment(context)
        request = _request(context, "gate")
    except (InputError, ConveyorError) as exc:
        return fail(context, f"schema-gate: {exc}")
    result = _run(context, request)
    differences = [result.error] if result.error else result.differences
    passed = result.ok and not differences
    where = f" ({environment})" if environment else ""
    detail = "; ".join(d.strip() for d in differences)
    if environment:
        try:
            with open_store(context) as db:
                run_repository(db, context)
                db.record_gate(
                    context.run_id, context.job_key, environment=environment, gate=GATE,
                    passed=passed, detail=detail,
                )  # fmt: skip
        except (InputError, ConveyorError) as exc:
            return fail(context, f"schema-gate: the verdict could not be recorded: {exc}")
    else:
        log(context, "no environment: the verdict is not recorded for a deploy to check")
    outputs = {
        "ok": str(passed).lower(), "current": ",".join(result.current),
        "head": ",".join(result.heads), "pending": str(len(result.pending)),
    }  # fmt: skip
    if passed:
        at = ",".join(result.current) or "-"
        log(context, f"schema gate{where}: the database matches the code (revision {at})")
        return ActionResult(outputs=outputs, summary=f"Schema gate{where}: passed\n")
    listing = "\n".join(f"- {d.strip()}" for d in differences)
    failed = fail(
        context,
        f"schema gate{where}: the database does not match the code "
        f"({len(differences)} difference(s)):\n" + "\n".join(differences),
    )
    failed.outputs = outputs
    failed.summary = f"### Schema gate{where}: failed\n\n{context.masker.mask(listing)}\n"
    return failed


def migrate(context: ActionContext) -> ActionResult:
    """``conveyor/migrate@v1``."""
    try:
        environment = name_input(context, "environment", default=_environment(context))
        request = _request(context, "migrate")
    except (InputError, ConveyorError) as exc:
        return fail(context, f"migrate: {exc}")
    result = _run(context, request)
    if result.sql:
        log(context, f"migration SQL ({len(result.pending)} revision(s)):")
        log(context, result.sql)
    summary = (
        f"### Migration preview ({environment}): {len(result.pending)} revision(s)\n\n"
        + "".join(f"- {line}\n" for line in result.pending)
        + f"\n```sql\n{context.masker.mask(result.sql).strip()}\n```\n"
    )
    outputs = {
        "revision": ",".join(result.after or result.current),
        "previous-revision": ",".join(result.current),
        "applied": str(len(result.pending) if request.apply else 0),
    }
    if result.error or not result.ok:
        failed = fail(
            context, f"migrate ({environment}): " + (result.error or "; ".join(result.differences))
        )
        failed.summary, failed.outputs = summary, outputs
        return failed
    if not request.apply:
        return ActionResult(outputs=outputs, summary=summary)
    try:
        with open_store(context) as db:
            repository = run_repository(db, context)
            recorded = db.schema_revision(repository, environment)
            if outputs["revision"] != recorded:
                db.record_schema_revision(
                    repository, environment, outputs["revision"],
                    previous_revision=outputs["previous-revision"], run_id=context.run_id,
                )  # fmt: skip
    except (InputError, ConveyorError) as exc:
        return fail(context, f"migrate: the schema revision could not be recorded: {exc}")
    log(
        context,
        f"{environment}: schema at revision {outputs['revision']} "
        f"(was {outputs['previous-revision'] or 'empty'}, {outputs['applied']} applied)",
    )
    return ActionResult(outputs=outputs, summary=summary)
