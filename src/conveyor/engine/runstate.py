"""Shared state of one workflow run: injected services, options, identity, cancellation."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conveyor.engine.concurrency import ConcurrencyRegistry
from conveyor.engine.contexts import RepoFacts
from conveyor.engine.emitter import Emitter
from conveyor.engine.masking import Masker
from conveyor.engine.ports import ActionProvider, EventSink, RunStore, StepRunner
from conveyor.engine.status import Conclusion


class Control:
    """A node in a tree of cancellation scopes (invocation → workflow run → job).

    Cancelling a scope sets every event created in it and in its children; events
    created after cancellation start set.
    """

    def __init__(self, parent: Control | None = None) -> None:
        self._lock = threading.Lock()
        self._events: list[threading.Event] = []
        self._children: list[Control] = []
        self.cancelled = False
        self.reason = ""
        if parent is not None:
            parent._adopt(self)

    def _adopt(self, child: Control) -> None:
        with self._lock:
            self._children.append(child)
            cancelled, reason = self.cancelled, self.reason
        if cancelled:
            child.cancel(reason)

    def child(self) -> Control:
        return Control(self)

    def event(self) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._events.append(event)
            if self.cancelled:
                event.set()
        return event

    def cancel(self, reason: str = "cancelled") -> None:
        with self._lock:
            if not self.cancelled:
                self.cancelled = True
                self.reason = reason
            events, children = list(self._events), list(self._children)
        for event in events:
            event.set()
        for child in children:
            child.cancel(reason)


@dataclass(frozen=True)
class Services:
    """Concrete implementations, injected by the CLI."""

    runner: StepRunner
    actions: ActionProvider
    masker: Masker
    sinks: Sequence[EventSink] = ()
    store: RunStore | None = None


@dataclass(frozen=True)
class RunOptions:
    repo: RepoFacts
    state_dir: Path
    event: str = "push"
    payload: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    platforms: Mapping[str, str] = field(default_factory=dict)
    job_filter: tuple[str, ...] = ()
    max_jobs: int = 2
    checkout_mode: str = "copy"
    debug: bool = False


@dataclass
class JobOutcome:
    """What a job instance (or a whole job across its matrix) ended with."""

    conclusion: Conclusion  # for display
    result: str  # for needs.<id>.result: success | failure | cancelled | skipped
    outputs: dict[str, str] = field(default_factory=dict)
    counts_as_failure: bool = False  # fails the run (not when continue-on-error)


@dataclass
class WorkflowRun:
    """One running workflow (or a called reusable workflow inside one)."""

    services: Services
    options: RunOptions
    emitter: Emitter
    registry: ConcurrencyRegistry
    control: Control
    run_id: int
    path: Path
    data: dict[str, Any]
    github: dict[str, Any]
    secrets: Mapping[str, str]
    inputs: Mapping[str, Any]
    env: dict[str, str]  # evaluated workflow-level env
    key_prefix: str = ""  # "caller/" for jobs of a reusable workflow
    outcomes: dict[str, JobOutcome] = field(default_factory=dict)

    @property
    def workflow_defaults(self) -> Mapping[str, Any]:
        defaults = self.data.get("defaults") or {}
        return (defaults.get("run") or {}) if isinstance(defaults, dict) else {}

    def work_root(self) -> Path:
        return self.options.state_dir / "work" / str(self.run_id)


@dataclass
class JobCall:
    """One job instance to run: ``ctx`` holds github, needs, strategy, matrix, vars, secrets,
    inputs and env; ``control`` is its cancellation scope."""

    wf: WorkflowRun
    job_id: str
    spec: dict[str, Any]
    key: str
    ctx: dict[str, Any]
    control: Control
