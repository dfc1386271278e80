"""Mutable state of one executing job, and the scope a list of steps runs in."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conveyor.engine.bus import Publish, StepLog
from conveyor.engine.contexts import (
    ENVIRONMENT_ENV,
    REPOSITORY_ENV,
    base_process_env,
    default_env,
)
from conveyor.engine.masking import Masker, mask_env
from conveyor.engine.ports import ActionProvider, ResolvedAction, StepReports, StepRunner
from conveyor.engine.wire import JobRequest


@dataclass(frozen=True)
class JobServices:
    """What executing a job needs from the process it runs in."""

    runner: StepRunner
    actions: ActionProvider
    masker: Masker
    publish: Publish
    reports: StepReports | None = None  # test reports the steps write or upload


@dataclass
class PostStep:
    """Runs at job end, in reverse order of registration (``post`` of actions)."""

    name: str
    condition: str
    run: Callable[[int], bool]  # gets its step index; returns whether it succeeded


@dataclass
class JobState:
    request: JobRequest
    services: JobServices
    workspace: Path
    temp: Path
    cancel: threading.Event  # set by a timeout or a cancellation: steps stop
    stop: threading.Event  # set when the run is torn down: post steps are skipped too
    contexts: dict[str, Any]  # github, needs, strategy, matrix, vars, secrets, inputs, runner, job
    job_env: dict[str, str]  # workflow env + job env, evaluated
    defaults: dict[str, Any]  # defaults.run merged (job over workflow)
    deadline: float
    added_env: dict[str, str] = field(default_factory=dict)
    added_path: list[str] = field(default_factory=list)
    posts: list[PostStep] = field(default_factory=list)
    resolved: dict[str, ResolvedAction] = field(default_factory=dict)
    action_state: dict[str, dict[str, str]] = field(default_factory=dict)  # STATE_* per step
    uploaded: list[Path] = field(default_factory=list)  # by the current step's actions
    timed_out: bool = False
    _index: int = 0
    _base_env: dict[str, str] | None = None

    @property
    def key(self) -> str:
        return self.request.job_key

    @property
    def job_id(self) -> str:
        return self.request.job.id

    @property
    def run_id(self) -> int:
        return self.request.run.run_id

    @property
    def repo_root(self) -> Path:
        return self.request.repo.root

    @property
    def state_dir(self) -> Path:
        return Path(self.request.state_dir)

    @property
    def masker(self) -> Masker:
        return self.services.masker

    def publish(self, event: Any) -> None:
        self.services.publish(event)

    def next_index(self) -> int:
        index = self._index
        self._index += 1
        return index

    def log(self, step_index: int | None) -> StepLog:
        """Where a step of this job (or, with None, the job itself) logs."""
        return StepLog(self.services.publish, self.run_id, self.key, step_index)

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.time())

    def process_env(self, github: dict[str, Any], scope_env: dict[str, str]) -> dict[str, str]:
        """Process environment: conveyor's own, GITHUB_*/RUNNER_*, workflow/job env,
        $GITHUB_ENV additions, then the step's (``scope_env``); $GITHUB_PATH prepended;
        ``CONVEYOR_MASK`` for the conveyor commands the step runs (see
        :func:`conveyor.engine.masking.mask_env`)."""
        if self._base_env is None:
            self._base_env = base_process_env()
        env = dict(self._base_env)
        env.update(default_env(github, self.contexts["runner"]))
        env[REPOSITORY_ENV] = self.request.repo.history_key
        if self.request.environment:
            env[ENVIRONMENT_ENV] = self.request.environment
        env.update(scope_env)
        if self.added_path:
            current = env.get("PATH", os.defpath)
            env["PATH"] = os.pathsep.join([*reversed(self.added_path), current])
        return mask_env(self.masker, env)


@dataclass
class StepScope:
    """Steps of a job, or of a composite action, evaluated against their own ``steps``."""

    job: JobState
    env: dict[str, str]  # env context before the step's own env (job env or composite's)
    defaults: dict[str, Any]
    step_index: int | None = None  # composite: the outer step's index for logs
    action_path: str = ""
    action_repository: str = ""
    inputs: dict[str, Any] | None = None  # composite action inputs
    depth: int = 0  # composite nesting
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: bool = False

    def contexts(self, env: dict[str, str]) -> dict[str, Any]:
        ctx = dict(self.job.contexts)
        ctx["steps"] = self.steps
        ctx["env"] = env
        if self.inputs is not None:
            ctx["inputs"] = self.inputs
        if self.action_path:
            github = dict(ctx["github"])
            github["action_path"] = self.action_path
            github["action_repository"] = self.action_repository
            ctx["github"] = github
        return ctx

    def env_context(self) -> dict[str, str]:
        """``env`` before a step's own env: the scope's env plus $GITHUB_ENV additions."""
        if not self.job.added_env:
            return self.env
        return {**self.env, **self.job.added_env}
