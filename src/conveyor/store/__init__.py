"""Run history: runs, jobs, steps and annotations in SQLite (default) or PostgreSQL, and
log files under the state directory (``.conveyor/`` at the repository root).

:class:`SqlRunStore` implements the engine's ``RunStore``; its query methods (and
:mod:`conveyor.store.queries`) serve ``conveyor runs``/``show``/``logs``.
"""

from __future__ import annotations

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
