"""`conveyor run`: plan the workflows an event triggers and run them locally.

Wires the concrete step runner, action provider, store and console into
:func:`conveyor.engine.run.run_workflows`, installs SIGINT/SIGTERM handlers (cancel,
kill every step process group, exit 130) and an orphan guard for ``kill -9``.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from conveyor.engine.contexts import RepoFacts
from conveyor.engine.platforms import parse_platforms
from conveyor.engine.run import RunReport, WorkflowSpec, default_payload
from conveyor.engine.runstate import RunOptions
from conveyor.engine.secrets import collect_secrets, parse_pairs
from conveyor.engine.status import Conclusion
from conveyor.engine.watchdog import OrphanGuard
from conveyor.errors import Interrupted, RunFailed, UsageError
from conveyor.git import repo_info
from conveyor.planner import plan_workflows
from conveyor.runners import kill_all_process_groups
from conveyor.store import default_state_dir
from conveyor.triggers.execute import run_specs
from conveyor.triggers.inputs import validate_dispatch_inputs
from conveyor.triggers.resolve import changed_files_for
from conveyor.workflow.loader import load_workflow
from conveyor.workflow.validate import discover_workflows


def register(app: typer.Typer) -> None:
    if any(info.name == "run" for info in app.registered_commands):
        return
    app.command("run")(run)


def _repo_facts(path: Path) -> RepoFacts:
    info = repo_info(path)
    return RepoFacts(
        root=info.root,
        sha=info.sha or "0" * 40,
        ref=info.ref or f"refs/heads/{info.default_branch}",
        ref_name=info.ref_name or info.default_branch,
        branch=info.branch,
        default_branch=info.default_branch,
        repository=info.repository if "/" in info.repository else f"local/{info.repository}",
        actor=info.actor,
        remote_url=info.remote_url,
    )


@contextmanager
def _signals(interrupt: threading.Event) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        interrupt.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _load_payload(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad JSON, or not UTF-8
        raise UsageError(f"--payload {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"--payload {path}: expected a JSON object")
    return data


def run(
    *,
    workflows: Annotated[
        Path, typer.Option("-W", "--workflows", help="Workflow file or folder.")
    ] = Path(".github/workflows"),
    event: Annotated[str | None, typer.Option("--event", help="Event name.")] = None,
    payload: Annotated[Path | None, typer.Option("--payload", help="Event payload JSON.")] = None,
    job: Annotated[list[str] | None, typer.Option("--job", help="Run only this job.")] = None,
    input_: Annotated[list[str] | None, typer.Option("--input", help="K=V input.")] = None,
    secret: Annotated[list[str] | None, typer.Option("--secret", help="K=V secret.")] = None,
    secret_file: Annotated[Path | None, typer.Option("--secret-file", help="dotenv.")] = None,
    var: Annotated[list[str] | None, typer.Option("--var", help="K=V variable.")] = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="K=V env var.")] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", help="LABEL=local|skip.")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", min=0, help="Parallel jobs (default: CPUs).")] = 0,
    checkout: Annotated[str, typer.Option("--checkout", help="copy or worktree.")] = "copy",
    state_dir: Annotated[Path | None, typer.Option("--state-dir", help="State dir.")] = None,
) -> None:
    """Run the workflows an event triggers, locally."""
    if checkout not in ("copy", "worktree"):
        raise UsageError("--checkout must be 'copy' or 'worktree'")
    inputs = parse_pairs(input_ or [], "--input")
    event_name = event or ("workflow_dispatch" if inputs else "push")
    repo = _repo_facts(Path.cwd())
    target = workflows if workflows.is_absolute() else Path.cwd() / workflows
    loaded = [load_workflow(p) for p in discover_workflows(str(target))]
    options = RunOptions(
        repo=repo,
        state_dir=(state_dir or default_state_dir(repo.root)).resolve(),
        event=event_name,
        inputs=inputs,
        secrets=collect_secrets(secret or [], secret_file),
        vars=parse_pairs(var or [], "--var"),
        env=parse_pairs(env or [], "--env"),
        platforms=parse_platforms(platform or []),
        job_filter=tuple(job or ()),
        max_jobs=jobs or os.cpu_count() or 2,
        checkout_mode=checkout,
    )
    event_payload = _load_payload(payload) or default_payload(options, dict(inputs))
    options = replace(options, payload=event_payload)
    changed = changed_files_for(repo_info(repo.root), event_name, event_payload)
    plan = plan_workflows(
        loaded, event=event_name, payload=event_payload, inputs=inputs, changed_files=changed
    )
    by_path = {str(item.path): item for item in loaded}
    if event_name == "workflow_dispatch":
        # Same checks as `conveyor trigger workflow_dispatch` (types, choices, required); a
        # built payload then carries every input, defaults included, as strings, as on GitHub.
        event_inputs: dict[str, str] = {}
        for fired in plan.firing():
            event_inputs.update(validate_dispatch_inputs(by_path[fired.path], inputs).strings)
        if payload is None:
            event_payload["inputs"] = event_inputs
            options = replace(options, payload=event_payload)
    specs = [
        WorkflowSpec(Path(w.path), by_path[w.path].document.data, w.name) for w in plan.firing()
    ]
    if job:
        known = {j for s in specs for j in (s.data.get("jobs") or {})}
        unknown = [j for j in job if j not in known]
        if unknown:
            raise UsageError(f"--job {', '.join(unknown)}: no such job in the triggered workflows")
        specs = [s for s in specs if any(j in (s.data.get("jobs") or {}) for j in job)]
    if not specs:
        typer.echo(f"no workflow is triggered by '{event_name}'")
        return
    _execute(specs, options)


def _execute(specs: list[WorkflowSpec], options: RunOptions) -> None:
    interrupt = threading.Event()
    guard = OrphanGuard()
    guard.start()
    reports: list[RunReport] = []
    try:
        with _signals(interrupt):
            reports = run_specs(specs, options, interrupt, plain=None)
    finally:
        kill_all_process_groups()
        guard.stop()
    if interrupt.is_set():
        raise Interrupted("interrupted: the run was cancelled")
    failed = [r for r in reports if r.conclusion is Conclusion.FAILURE]
    if failed:
        names = ", ".join(f"{r.workflow} (run {r.run_id})" for r in failed)
        raise RunFailed(f"failed: {names}")
    if any(r.conclusion is Conclusion.CANCELLED for r in reports):
        raise RunFailed("cancelled: " + ", ".join(r.workflow for r in reports))
