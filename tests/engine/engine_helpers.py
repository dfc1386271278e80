"""Run workflows through the engine with the real step runner and action provider."""

from __future__ import annotations

import os
import subprocess
import textwrap
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conveyor.actions import DefaultActionProvider
from conveyor.engine.events import Event, JobFinished, LogLine, StepFinished
from conveyor.engine.local_executor import LocalJobExecutor
from conveyor.engine.masking import Masker
from conveyor.engine.ports import JobExecutor
from conveyor.engine.run import RunReport, run_workflows
from conveyor.engine.runstate import RunOptions, Services
from conveyor.planner.build import plan_workflow
from conveyor.planner.github import RepoFacts
from conveyor.runners import LocalStepRunner
from conveyor.workflow.loader import load_workflow


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)


@dataclass
class Result:
    reports: list[RunReport]
    events: list[Event]
    masker: Masker = field(default_factory=Masker)

    @property
    def conclusion(self) -> str:
        return str(self.reports[0].conclusion)

    def jobs(self) -> dict[str, str]:
        return {e.job_key: str(e.conclusion) for e in self.events if isinstance(e, JobFinished)}

    def job(self, key: str) -> JobFinished:
        return next(e for e in self.events if isinstance(e, JobFinished) and e.job_key == key)

    def steps(self, job_key: str) -> dict[str, StepFinished]:
        return {
            e.step_name: e
            for e in self.events
            if isinstance(e, StepFinished) and e.job_key == job_key
        }

    def lines(self, job_key: str | None = None) -> list[str]:
        return [
            e.text
            for e in self.events
            if isinstance(e, LogLine) and (job_key is None or e.job_key == job_key)
        ]

    def text(self) -> str:
        return "\n".join(self.lines())


def git_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "config", "user.email", "t@example.com"], check=True)
    subprocess.run(["git", "-C", str(path), "config", "user.name", "t"], check=True)
    return path


def write(root: Path, rel: str, text: str) -> Path:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return target


def run_text(
    repo: Path, yaml_text: str, *, interrupt: threading.Event | None = None, **options: Any
) -> Result:
    path = write(repo, ".github/workflows/test.yml", yaml_text)
    loaded = load_workflow(str(path))
    model = loaded.require()
    recorder = Recorder()
    masker = Masker()
    actions = DefaultActionProvider(repo / ".conveyor")
    opts = RunOptions(
        repo=RepoFacts(root=repo, repository="octo/demo"),
        state_dir=repo / ".conveyor",
        **{"max_jobs": 4, **options},
    )
    executor = executor_for(opts, actions, masker)
    services = Services(executor=executor, actions=actions, masker=masker, sinks=[recorder])
    plan = plan_workflow(
        model, path=str(path), event=opts.event, payload=opts.payload, document=loaded.document
    )
    try:
        reports = run_workflows([plan], opts, services, interrupt)
    finally:
        executor.close()
    return Result(reports, recorder.events, masker)


def executor_for(
    options: RunOptions, actions: DefaultActionProvider, masker: Masker
) -> JobExecutor:
    """The executor the engine tests run under: ``$CONVEYOR_EXECUTOR`` (local or process)."""
    if os.environ.get("CONVEYOR_EXECUTOR") == "process":
        from conveyor.executors.process import ProcessJobExecutor

        return ProcessJobExecutor(options.secrets, spares=1)
    runner = LocalStepRunner(kill_grace=0.5, orphan_grace=0.1)
    return LocalJobExecutor(runner, actions, masker, options.secrets)
