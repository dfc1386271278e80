"""Shared state of one workflow run: injected services, options, identity, cancellation."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conveyor.engine.bus import LocalEventBus
from conveyor.engine.concurrency import ConcurrencyRegistry
from conveyor.engine.masking import Masker
from conveyor.engine.ports import (
    ActionProvider,
    EnvironmentGate,
    EventSink,
    JobExecutor,
    RunStore,
)
from conveyor.engine.wire import JobOutcome, RunRef, SecretBinding
from conveyor.planner.github import RepoFacts
from conveyor.planner.plan import WorkflowPlan


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
    """Concrete implementations, injected by the caller: where jobs execute, where actions
    and called workflows are found (to compile), the run's masker, and who hears events."""

    executor: JobExecutor
    actions: ActionProvider
    masker: Masker
    sinks: Sequence[EventSink] = ()
    store: RunStore | None = None
    gate: EnvironmentGate | None = None
    labels_routed: bool = False  # the executor sends jobs to workers by runs-on labels


@dataclass(frozen=True)
class RunOptions:
    """How to run: the event and its payload, inputs, variables, secrets and knobs.

    Everything but ``secrets`` is persisted with the run, so another process can resume
    it; secrets are looked up again by name then.
    """

    repo: RepoFacts
    state_dir: Path
    event: str = "push"
    payload: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    platforms: Mapping[str, str] = field(default_factory=dict)
    job_filter: tuple[str, ...] = ()  # job ids, or matrix display names for one combination
    matrix_filter: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # --matrix
    max_jobs: int = 2
    checkout_mode: str = "copy"
    debug: bool = False
    wait: bool = True  # a job waiting for an approval blocks; False: the run parks


@dataclass
class WorkflowRun:
    """One running workflow (or a called reusable workflow inside one)."""

    services: Services
    options: RunOptions
    bus: LocalEventBus
    registry: ConcurrencyRegistry
    control: Control
    run: RunRef
    plan: WorkflowPlan
    github: dict[str, Any]  # the run-wide github context, without the token
    secrets: Mapping[str, SecretBinding]
    inputs: Mapping[str, Any]
    key_prefix: str = ""  # "caller/" for jobs of a reusable workflow
    depth: int = 0
    outcomes: dict[str, JobOutcome] = field(default_factory=dict)
    prior: Mapping[str, JobOutcome] = field(default_factory=dict)  # finished before a resume

    @property
    def run_id(self) -> int:
        return self.run.run_id

    def publish(self, event: Any) -> None:
        self.bus.publish(event)
