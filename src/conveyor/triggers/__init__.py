"""Triggers: event payloads from the local repository, changed-file detection,
and the scheduler daemon (inputs are checked by :mod:`conveyor.workflow.inputs`, crons
read by :mod:`conveyor.workflow.cron`).

I/O package (git, database, processes); the CLI commands ``conveyor trigger`` and
``conveyor schedule`` are thin wrappers over it.
"""

from conveyor.triggers.changed_files import (
    pull_request_changed_files,
    push_changed_files,
    resolve,
)
from conveyor.triggers.clock import Clock, ManualClock, SystemClock
from conveyor.triggers.daemon import ScheduleEntry, Scheduler
from conveyor.workflow.cron import latest_fire_time, next_fire_times

__all__ = [
    "Clock",
    "ManualClock",
    "ScheduleEntry",
    "Scheduler",
    "SystemClock",
    "latest_fire_time",
    "next_fire_times",
    "pull_request_changed_files",
    "push_changed_files",
    "resolve",
]
