"""Run workflow specs through the engine, wired to the local runner, actions and store.

The one place that wires the engine: ``conveyor run`` and ``conveyor trigger`` call it
under their signal handling (:func:`conveyor.cli.run_cmd._execute`); the scheduler
fires from worker threads and cancels runs with its own ``cancel`` event.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from conveyor.actions import DefaultActionProvider
from conveyor.console import make_console
from conveyor.engine.masking import Masker
from conveyor.engine.run import RunReport, WorkflowSpec, run_workflows
from conveyor.engine.runstate import RunOptions, Services
from conveyor.engine.status import Conclusion
from conveyor.runners import LocalStepRunner
from conveyor.store import SqlRunStore


def run_specs(
    specs: Sequence[WorkflowSpec],
    options: RunOptions,
    cancel: threading.Event,
    *,
    plain: bool | None = True,
) -> list[RunReport]:
    """Run ``specs`` (recorded in the history store); cancelled when ``cancel`` is set.

    ``plain``: plain console lines (the daemon), or None to choose by terminal.
    """
    expose_conveyor(options.state_dir)
    masker = Masker()
    store = SqlRunStore(options.state_dir, masker=masker)
    console = make_console(plain=plain)
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


def expose_conveyor(state_dir: Path) -> Path:
    """Put a ``conveyor`` command for this very installation on the steps' PATH.

    Steps such as ``run: conveyor report "$GITHUB_RUN_ID"`` then work even when
    conveyor's virtualenv is not on the user's PATH, and they see this run's state
    directory (``CONVEYOR_HOME``), so the run they report on is found. The directory
    holds nothing else, so it shadows no other tool.
    """
    bin_dir = state_dir / "bin"
    shim = bin_dir / "conveyor"
    home = shlex.quote(str(state_dir))
    text = (
        f"#!/bin/sh\nCONVEYOR_HOME={home}\nexport CONVEYOR_HOME\n"
        f'exec {shlex.quote(sys.executable)} -m conveyor "$@"\n'
    )
    if not shim.is_file() or shim.read_text(encoding="utf-8") != text:
        bin_dir.mkdir(parents=True, exist_ok=True)
        # A temp file of its own per writer: scheduled runs start from several threads.
        fd, tmp_name = tempfile.mkstemp(dir=bin_dir, prefix=".conveyor.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp = Path(tmp_name)
        tmp.chmod(0o755)
        tmp.replace(shim)
    path = os.environ.get("PATH", os.defpath).split(os.pathsep)
    if str(bin_dir) not in path:
        os.environ["PATH"] = os.pathsep.join([str(bin_dir), *path])
    return shim


def status_of(reports: Sequence[RunReport], cancel: threading.Event) -> str:
    """``success``, ``failure`` or ``cancelled`` for a firing's runs."""
    if cancel.is_set() or any(r.conclusion is Conclusion.CANCELLED for r in reports):
        return "cancelled"
    if any(r.conclusion is Conclusion.FAILURE for r in reports):
        return "failure"
    return "success"
