"""Run history: runs, jobs, steps and annotations in SQLite (default) or PostgreSQL, and
log files under the state directory (``.conveyor/`` at the repository root).

:class:`SqlRunStore` implements the engine's ``RunStore``; its query methods (and
:mod:`conveyor.store.queries`) serve ``conveyor runs``/``show``/``logs``. Names are
imported when first used, so ``conveyor.store.paths`` costs no SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DATABASE_URL_ENV": "conveyor.store.paths",
    "HOME_ENV": "conveyor.store.paths",
    "database_url": "conveyor.store.paths",
    "default_state_dir": "conveyor.store.paths",
    "AnnotationInfo": "conveyor.store.queries",
    "JobInfo": "conveyor.store.queries",
    "RunDetail": "conveyor.store.queries",
    "RunInfo": "conveyor.store.queries",
    "StepInfo": "conveyor.store.queries",
    "to_jsonable": "conveyor.store.queries",
    "SqlRunStore": "conveyor.store.recorder",
}

if TYPE_CHECKING:
    from conveyor.store.paths import DATABASE_URL_ENV, HOME_ENV, database_url, default_state_dir
    from conveyor.store.queries import (
        AnnotationInfo,
        JobInfo,
        RunDetail,
        RunInfo,
        StepInfo,
        to_jsonable,
    )
    from conveyor.store.recorder import SqlRunStore


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "DATABASE_URL_ENV",
    "HOME_ENV",
    "AnnotationInfo",
    "JobInfo",
    "RunDetail",
    "RunInfo",
    "SqlRunStore",
    "StepInfo",
    "database_url",
    "default_state_dir",
    "to_jsonable",
]
