"""Run workflow specs through the engine with a caller-owned cancel event (the daemon's).

``conveyor run``/``conveyor trigger`` use :func:`conveyor.cli.run_cmd` wiring, which
owns its signal handling; the scheduler fires from worker threads and cancels runs
itself on SIGTERM, so it needs the same wiring with its own ``cancel`` event.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from conveyor.actions import DefaultActionProvider
from conveyor.console import make_console
from conveyor.engine.masking import Masker
from conveyor.engine.run import RunReport, WorkflowSpec, run_workflows
from conveyor.engine.runstate import RunOptions, Services
from conveyor.engine.status import Conclusion
from conveyor.runners import LocalStepRunner
from conveyor.store import SqlRunStore


def run_specs(
    specs: Sequence[WorkflowSpec], options: RunOptions, cancel: threading.Event
) -> list[RunReport]:
    """Run ``specs`` (recorded in the history store); cancelled when ``cancel`` is set."""
    masker = Masker()
    store = SqlRunStore(options.state_dir, masker=masker)
    console = make_console(plain=True)
    services = Services(
        runner=LocalStepRunner(),
        actions=DefaultActionProvider(options.state_dir),
        masker=masker,
        sinks=[console],
        store=store,
    )
    try:
        return run_workflows(specs, options, services, cancel)
    finally:
        console.close()
        store.close()


def status_of(reports: Sequence[RunReport], cancel: threading.Event) -> str:
    """``success``, ``failure`` or ``cancelled`` for a firing's runs."""
    if cancel.is_set() or any(r.conclusion is Conclusion.CANCELLED for r in reports):
        return "cancelled"
    if any(r.conclusion is Conclusion.FAILURE for r in reports):
        return "failure"
    return "success"
