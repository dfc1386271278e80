"""``conveyor/test@v1``: run test tiers from ``conveyor.toml`` as a workflow step.

Inputs: ``tier`` (names separated by commas, spaces or lines; default: all tiers),
``shard`` (``INDEX/COUNT`` from 1), ``maxfail``, ``retries``, ``args`` (extra pytest
arguments, shell-split), ``config`` (path to conveyor.toml, relative to the workspace).
Outputs: ``passed``, ``failed``, ``skipped``, ``flaky``, ``report`` (the markdown
report's path). Results are linked to the step's run id. The step fails when a tier fails.
Everything the tiers store (results, JUnit files, the report) goes through the run's
masker (``context.masker``) first.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from conveyor.actions.common import InputError, fail, get_input, log
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.engine.secrets import without_secrets
from conveyor.errors import ConveyorError


def _int(context: ActionContext, name: str) -> int | None:
    raw = get_input(context, name)
    if not raw:
        return None
    if not raw.isdigit():
        raise InputError(f"input '{name}' must be a whole number, got {raw!r}")
    return int(raw)


def _shard(raw: str) -> tuple[int, int] | None:
    if not raw:
        return None
    found = re.fullmatch(r"(\d+)\s*/\s*(\d+)", raw)
    if not found or not 1 <= int(found.group(1)) <= int(found.group(2)):
        raise InputError(f"input 'shard' must be INDEX/COUNT with 1 <= INDEX <= COUNT, got {raw!r}")
    return int(found.group(1)), int(found.group(2))


def run(context: ActionContext) -> ActionResult:
    from conveyor.tiers.configfile import load_config
    from conveyor.tiers.runner import options_for
    from conveyor.tiers.session import run_session, table

    try:
        names = [n for n in re.split(r"[\s,]+", get_input(context, "tier")) if n]
        shard = _shard(get_input(context, "shard"))
        maxfail, retries = _int(context, "maxfail"), _int(context, "retries")
        extra = shlex.split(get_input(context, "args"))
        config_input = get_input(context, "config")
        loaded = load_config(
            context.workspace / config_input if config_input else None, start=context.workspace
        )
        settings = loaded.config
        try:
            chosen = settings.ordered(names)
        except KeyError as exc:
            raise InputError(f"unknown tier {exc.args[0]} in input 'tier'") from None
        options = options_for(
            settings.test,
            state_dir=context.state_dir,
            root=loaded.root,
            run_id=context.run_id,
            extra=extra,
            maxfail=maxfail,
            retries=retries,
            shard=shard,
            on_line=lambda line: log(context, line),
            env={**without_secrets(os.environ), **context.env},
            cancel=context.cancel,
            masker=context.masker,
        )
        options.job_key, options.step_index = context.job_key, context.step_index
        result = run_session(chosen, options, named=bool(names))
    except (InputError, ValueError, ConveyorError) as exc:
        return fail(context, str(exc))
    log(context, "")
    log(context, table(result.tiers))
    outputs = {
        "passed": str(result.count("passed")),
        "failed": str(result.count("failed")),
        "skipped": str(result.count("skipped")),
        "flaky": str(result.count("flaky")),
        "report": str(result.report or ""),
    }
    summary = _read_report(result.report)
    if result.ok:
        return ActionResult(ok=True, outputs=outputs, summary=summary)
    broken = ", ".join(t.name for t in result.tiers if not t.ok)
    if result.no_tests:
        message = f"no tests ran in tier(s) {broken}"
    else:
        message = f"test tier(s) failed: {broken} ({outputs['failed']} failed tests)"
    failed = fail(context, message)
    failed.outputs = outputs
    failed.summary = summary
    return failed


def _read_report(path: object) -> str:
    """The markdown report, shown as the step summary (empty when there is none)."""
    if not path:
        return ""
    try:
        return Path(str(path)).read_text(encoding="utf-8")
    except OSError:
        return ""
