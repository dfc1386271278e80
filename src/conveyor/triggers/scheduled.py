"""Scheduled workflows: their ``on.schedule`` entries, and how a slot runs one."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from conveyor.engine.runstate import RunOptions
from conveyor.git import RepoInfo
from conveyor.launch.runs import run_plans, status_of
from conveyor.planner.build import plan_workflow
from conveyor.planner.github import RepoFacts
from conveyor.planner.payloads import schedule_payload
from conveyor.triggers.daemon import FireFn, ScheduleEntry
from conveyor.triggers.payloads import payload_repo
from conveyor.workflow import LoadedWorkflow, ScheduleEvent


def relative(path: str, root: Path) -> str:
    """``path`` relative to ``root`` (both resolved); ``path`` as given when outside it."""
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


def schedule_entries(
    loaded: Sequence[LoadedWorkflow], root: Path, repository: str = ""
) -> list[ScheduleEntry]:
    """Every cron of every valid workflow, in file order; ``repository`` is the history
    key their firings are claimed under (default: ``root``)."""
    key = repository or str(root.resolve())
    entries: list[ScheduleEntry] = []
    for item in loaded:
        if item.model is None or item.errors:
            continue
        config = item.model.events().get("schedule")
        if not isinstance(config, ScheduleEvent):
            continue
        path = relative(item.path, root)
        name = item.model.name or path
        for cron in config.crons:
            entries.append(ScheduleEntry(path, name, cron.cron, cron.timezone, key))
    return entries


def make_fire(
    loaded: Sequence[LoadedWorkflow], info: RepoInfo, repo: RepoFacts, state_dir: Path
) -> FireFn:
    """The scheduler's fire function: run the entry's workflow with a ``schedule`` payload."""
    by_path = {relative(item.path, info.root): item for item in loaded}

    def fire(entry: ScheduleEntry, slot: datetime, cancel: threading.Event) -> str:
        del slot
        item = by_path[entry.workflow_path]
        payload = schedule_payload(payload_repo(info), entry.cron)
        options = RunOptions(repo=repo, state_dir=state_dir, event="schedule", payload=payload)
        plan = plan_workflow(
            item.require(),
            path=str(item.path),
            event="schedule",
            payload=payload,
            document=item.document,
        )
        reports = run_plans([plan], options, cancel)
        return status_of(reports, cancel)

    return fire
