"""Run the jobs of one workflow (or of a called reusable workflow) as a ready-set DAG.

A job whose needs did not all succeed is skipped unless its ``if`` uses a status function
(``always()``, ``failure()``, ...). Matrix jobs expand when they become ready (so a matrix
may come from ``needs`` outputs); ``fail-fast`` cancels the other combinations.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.emitter import StepLog
from conveyor.engine.events import JobFinished, JobStarted
from conveyor.engine.jobrun import outcome_of, run_job
from conveyor.engine.runstate import Control, JobCall, JobOutcome, WorkflowRun
from conveyor.engine.scheduler import DagScheduler, Expansion
from conveyor.engine.status import Conclusion
from conveyor.errors import ConveyorError
from conveyor.planner.matrix import expand_static


def needs_of(spec: dict[str, Any]) -> list[str]:
    needs = spec.get("needs") or []
    return [needs] if isinstance(needs, str) else [str(n) for n in needs]


def select_jobs(jobs: dict[str, dict[str, Any]], wanted: Iterable[str]) -> list[str]:
    """The wanted jobs and, transitively, everything they need (all jobs if none wanted)."""
    wanted = list(wanted)
    if not wanted:
        return list(jobs)
    chosen: set[str] = set()
    stack = [w for w in wanted if w in jobs]
    while stack:
        job_id = stack.pop()
        if job_id not in chosen:
            chosen.add(job_id)
            stack.extend(n for n in needs_of(jobs[job_id]) if n in jobs)
    return [j for j in jobs if j in chosen]


def matrix_key(job_id: str, combo: dict[str, Any]) -> str:
    if not combo:
        return job_id
    shown = ", ".join(
        exprs.to_str(v) if not isinstance(v, dict | list) else str(v) for v in combo.values()
    )
    return f"{job_id} ({shown})"


def combine(results: list[JobOutcome]) -> JobOutcome:
    if not results:
        return outcome_of(Conclusion.SKIPPED)
    outputs: dict[str, str] = {}
    for result in results:
        outputs.update(result.outputs)
    order = ("failure", "cancelled", "success", "skipped")
    worst = next(r for r in order if any(o.result == r for o in results))
    conclusion = {
        "failure": Conclusion.FAILURE,
        "cancelled": Conclusion.CANCELLED,
        "success": Conclusion.SUCCESS,
    }.get(worst, Conclusion.SKIPPED)
    failing = any(o.counts_as_failure for o in results)
    return JobOutcome(conclusion, worst, outputs, failing)


RunCall = Callable[[JobCall], JobOutcome]


class WorkflowJobs:
    def __init__(self, wf: WorkflowRun, job_ids: list[str], run_call: RunCall | None = None):
        self.wf = wf
        jobs = wf.data.get("jobs") or {}
        self.jobs: dict[str, dict[str, Any]] = {j: jobs[j] for j in job_ids}
        self.run_call = run_call
        self.failed_ancestors: dict[str, bool] = {}

    def run(self) -> Conclusion:
        needs = {j: [n for n in needs_of(s) if n in self.jobs] for j, s in self.jobs.items()}
        scheduler: DagScheduler[JobOutcome] = DagScheduler(needs, self.wf.options.max_jobs)
        scheduler.run(self._expand, self._finish)
        outcomes = [self.wf.outcomes[j] for j in self.jobs if j in self.wf.outcomes]
        if any(o.counts_as_failure for o in outcomes):
            return Conclusion.FAILURE
        if self.wf.control.cancelled or any(o.result == "cancelled" for o in outcomes):
            return Conclusion.CANCELLED
        return Conclusion.SUCCESS

    def _finish(self, job_id: str, results: list[JobOutcome]) -> None:
        if job_id not in self.wf.outcomes:  # skipped jobs record themselves
            self.wf.outcomes[job_id] = combine(results)

    def _base_contexts(self, spec: dict[str, Any]) -> dict[str, Any]:
        wf = self.wf
        needs = {
            n: {"result": wf.outcomes[n].result, "outputs": dict(wf.outcomes[n].outputs)}
            for n in needs_of(spec)
            if n in wf.outcomes
        }
        return {
            "github": wf.github,
            "needs": needs,
            "vars": dict(wf.options.vars),
            "secrets": dict(wf.secrets),
            "inputs": dict(wf.inputs),
            "env": dict(wf.env),
            "strategy": {},
            "matrix": {},
        }

    def _record(self, job_id: str, conclusion: Conclusion, note: str) -> Expansion[JobOutcome]:
        wf = self.wf
        key = wf.key_prefix + job_id
        now = time.time()
        name = str(self.jobs[job_id].get("name") or job_id)
        wf.emitter.emit(JobStarted(wf.run_id, key, job_id, name, started_at=now))
        if note:
            StepLog(wf.emitter, wf.run_id, key, None).line(note)
        wf.emitter.emit(JobFinished(wf.run_id, key, conclusion, now, now, note=note))
        wf.outcomes[job_id] = outcome_of(conclusion)
        return Expansion([])

    def _expand(self, job_id: str) -> Expansion[JobOutcome]:
        wf = self.wf
        spec = self.jobs[job_id]
        needs = needs_of(spec)
        failed = any(
            wf.outcomes[n].result == "failure" or self.failed_ancestors.get(n, False)
            for n in needs
            if n in wf.outcomes
        )
        self.failed_ancestors[job_id] = failed
        ctx = self._base_contexts(spec)
        cond = spec.get("if")
        cancelled = wf.control.cancelled
        if not exprs.has_status_function(cond):
            unmet = [n for n in needs if n in wf.outcomes and wf.outcomes[n].result != "success"]
            if cancelled:
                return self._record(job_id, Conclusion.CANCELLED, wf.control.reason)
            if unmet:
                return self._record(
                    job_id,
                    Conclusion.SKIPPED,
                    f"skipped: needed job(s) {', '.join(unmet)} did not succeed",
                )
        try:
            wanted = exprs.condition(cond, ctx, failed=failed, cancelled=cancelled)
            strategy = exprs.render(spec.get("strategy") or {}, ctx)
            combos = expand_static(strategy["matrix"]) if strategy.get("matrix") else [{}]
        except ConveyorError as exc:
            return self._record(job_id, Conclusion.FAILURE, f"{job_id}: {exc}")
        if not wanted:
            return self._record(job_id, Conclusion.SKIPPED, "")
        fail_fast = exprs.truthy(strategy.get("fail-fast", True), ctx)
        limit = int(strategy["max-parallel"]) if strategy.get("max-parallel") else None
        group = wf.control.child()
        units = [
            self._unit(
                job_id, ctx, combo, (i, len(combos)), fail_fast=fail_fast, limit=limit, group=group
            )
            for i, combo in enumerate(combos)
        ]
        return Expansion(units, limit=limit)

    def _unit(
        self,
        job_id: str,
        base: dict[str, Any],
        combo: dict[str, Any],
        position: tuple[int, int],
        *,
        fail_fast: bool,
        limit: int | None,
        group: Control,
    ) -> Callable[[], JobOutcome]:
        spec = self.jobs[job_id]
        index, total = position
        key = self.wf.key_prefix + (matrix_key(job_id, combo) if total > 1 or combo else job_id)
        ctx = dict(base)
        ctx["matrix"] = combo
        ctx["strategy"] = {
            "fail-fast": fail_fast,
            "job-index": index,
            "job-total": total,
            "max-parallel": total if limit is None else limit,
        }

        def unit() -> JobOutcome:
            control = group.child()
            run = self.run_call if "uses" in spec and self.run_call else run_job
            outcome = run(JobCall(self.wf, job_id, spec, key, ctx, control))
            if fail_fast and total > 1 and outcome.counts_as_failure:
                group.cancel(f"fail-fast: {key} failed")
            return outcome

        return unit
