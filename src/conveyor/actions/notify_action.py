"""``conveyor/notify@v1``: send the run's report to the ``[notify]`` channels.

Inputs: ``policy`` (``failure``, ``always`` or ``change``; default from conveyor.toml),
``channels`` (comma/space separated: slack, webhook, email; default: all configured),
``run`` (run id; default: this run), ``config`` (path to conveyor.toml).
Outputs: ``sent`` (``true``/``false``), ``delivered`` (number of channels reached).
A delivery problem never fails the step: it is logged as a warning and recorded.
"""

from __future__ import annotations

import re

from conveyor.actions.common import InputError, get_input, log
from conveyor.engine.ports import ActionContext, ActionResult, CommandAnnotation
from conveyor.errors import ConveyorError


def run(context: ActionContext) -> ActionResult:
    from conveyor.reporting.build import resolve_run
    from conveyor.reporting.notify import notify_run, record
    from conveyor.reporting.settings import CHANNELS, POLICIES
    from conveyor.results.db import ResultsDb
    from conveyor.store.repositories import run_repository
    from conveyor.tiers.configfile import load_config

    try:
        policy = get_input(context, "policy") or None
        if policy is not None and policy not in POLICIES:
            raise InputError(f"input 'policy' must be one of {', '.join(POLICIES)}")
        channels = [c for c in re.split(r"[\s,]+", get_input(context, "channels")) if c]
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise InputError(f"input 'channels': unknown {', '.join(unknown)}")
        config_input = get_input(context, "config")
        settings = load_config(
            context.workspace / config_input if config_input else None, start=context.workspace
        ).config.notify
        with ResultsDb(context.state_dir) as db, db.read() as connection:
            spec = get_input(context, "run") or str(context.run_id)
            run_id = resolve_run(connection, spec, run_repository(connection, context.run_id))
            env = {**context.env}
            outcome = notify_run(
                connection,
                settings,
                run_id,
                policy=policy,
                channels=channels or None,
                env=env,
                state_dir=context.state_dir,
            )
    except (InputError, ValueError, ConveyorError) as exc:
        message = f"notification skipped: {exc}"
        log(context, f"Warning: {message}", "stderr")
        context.output.annotation(CommandAnnotation("warning", context.masker.mask(message)))
        return ActionResult(ok=True, outputs={"sent": "false", "delivered": "0"})
    record(context.state_dir, outcome)
    if not outcome.decision.send:
        log(context, f"no notification for run {run_id} (policy {policy or settings.policy})")
    elif outcome.unconfigured:
        log(context, f"no notification for run {run_id}: no notify channel is configured")
    else:
        log(context, f"notifying: {', '.join(outcome.decision.reasons)}")
    for delivery in outcome.deliveries:
        if delivery.ok:
            log(context, f"{delivery.channel}: delivered to {delivery.target}")
    for warning in outcome.warnings:
        log(context, f"Warning: {warning}", "stderr")
        context.output.annotation(CommandAnnotation("warning", context.masker.mask(warning)))
    delivered = sum(d.ok for d in outcome.deliveries)
    return ActionResult(
        ok=True,
        outputs={"sent": str(outcome.sent).lower(), "delivered": str(delivered)},
    )
