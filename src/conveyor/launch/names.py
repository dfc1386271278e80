"""The executors a run may use, checked before anything heavy is imported."""

from __future__ import annotations

import os

from conveyor.errors import UsageError

EXECUTORS = ("local", "process", "celery")
EXECUTOR_ENV = "CONVEYOR_EXECUTOR"


def executor_name(given: str | None) -> str:
    """``--executor``, else ``$CONVEYOR_EXECUTOR``, else ``local``; refuses other names."""
    name = given or os.environ.get(EXECUTOR_ENV) or "local"
    if name not in EXECUTORS:
        raise UsageError(f"--executor {name}: expected one of {', '.join(EXECUTORS)}")
    return name
