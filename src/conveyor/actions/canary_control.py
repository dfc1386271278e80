"""Asking a canary in progress to promote or abort, from any process: ``conveyor canary``
and the server's API (the dashboard's buttons) call this.

A command is left in the canary's row for the deploy step running it, which takes it
within a fraction of a second. An abort whose deploy step is gone (its process died, on
this host) is done here instead, through the app's provider.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from conveyor.errors import Conflict
from conveyor.store.canaries import ACTIVE, Canary, CanaryStore


def orphaned(canary: Canary) -> bool:
    """Whether the process running the canary is gone (known only on its own host)."""
    from conveyor.providers.pids import identity

    return canary.owner_host == socket.gethostname() and identity(canary.owner_pid) is None


def abort_here(
    store: CanaryStore,
    canary: Canary,
    reason: str,
    *,
    config: Path | None,
    start: Path,
    log: Callable[[str], None],
) -> None:
    """Abort ``canary`` in this process: its deploy step is gone."""
    from conveyor.actions.delivery_common import DeliveryConfig
    from conveyor.actions.delivery_wiring import wire
    from conveyor.delivery.canary import abort_orphaned
    from conveyor.tiers.configfile import load_config

    loaded = DeliveryConfig(load_config(config, start=start))
    wired = wire(loaded, canary.app, canary.environment, store.state_dir)
    abort_orphaned(store, wired.provider, wired.target, canary, reason, log=log)


def ask(
    store: CanaryStore,
    canary: Canary,
    command: str,
    *,
    by: str,
    reason: str = "",
    config: Path | None = None,
    start: Path,
    log: Callable[[str], None],
) -> bool:
    """Leave ``command`` (abort, promote, promote-full) for the canary's deploy step;
    True when it was done here instead (an abort whose step is gone). A canary that is
    not in progress any more is a :class:`~conveyor.errors.Conflict`."""
    if command == "abort" and canary.status in ACTIVE and orphaned(canary):
        why = f"aborted by {by}" + f": {reason}" * bool(reason)
        abort_here(store, canary, why, config=config, start=start, log=log)
        return True
    if not store.command_canary(canary.id, command, by, reason):
        raise Conflict(
            f"canary #{canary.id} of {canary.app} in {canary.environment} is {canary.status}, "
            "not in progress: nothing to " + command.split("-", maxsplit=1)[0]
        )
    return False
