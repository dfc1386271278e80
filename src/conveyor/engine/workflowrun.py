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
from conveyor.engine.bus import StepLog
from conveyor.engine.events import JobFinished, JobStarted
from conveyor.engine.runstate import Control, WorkflowRun
from conveyor.engine.scheduler import DagScheduler, Expansion
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import JobOutcome, outcome_of
from conveyor.errors import ConveyorError
from conveyor.planner.matrix import expand_static
from conveyor.planner.plan import JobPlan
from conveyor.planner.selection import chosen_combinations, matrix_key


def combine(results: list[JobOutcome]) -> JobOutcome:
    if not results:
        return outcome_of(Conclusion.SKIPPED)
    outputs: dict[str, str] = {}
    for result in results:
        outputs.update(result.outputs)
    order = ("failure", "cancelled", "waiting", "success", "skipped")
    worst = next(r for r in order if any(o.result == r for o in results))
    conclusion = {
        "failure": Conclusion.FAILURE,
        "cancelled": Conclusion.CANCELLED,
        "waiting": Conclusion.WAITING,
        "success": Conclusion.SUCCESS,
    }.get(worst, Conclusion.SKIPPED)
    failing = any(o.counts_as_failure for o in results)
    return JobOutcome(conclusion, worst, outputs, failing)


UnitRunner = Callable[["JobCall"], JobOutcome]


def finish_job(wf: WorkflowRun, key: str, started: float, outcome: JobOutcome) -> JobOutcome:
    """Record how a job instance ended (nothing for a parked one: it starts again when the
    run is resumed); returns ``outcome``."""
    if outcome.conclusion is not Conclusion.WAITING:
        wf.publish(
            JobFinished(
                wf.run_id,
                key,
                outcome.conclusion,
                started,
                time.time(),
                outcome.outputs,
                outcome.note,
                outcome.result,
                outcome.environment_url,
            )
        )
    return outcome


class JobCall:
    """One job instance to run: its plan, key, the contexts known before it starts (github,
    needs, strategy, matrix, vars, inputs) and its cancellation scope."""

    __slots__ = ("control", "ctx", "job", "key", "wf")

    def __init__(
        self, wf: WorkflowRun, job: JobPlan, key: str, ctx: dict[str, Any], control: Control
    ) -> None:
        self.wf = wf
        self.job = job
        self.key = key
        self.ctx = ctx
        self.control = control


class WorkflowJobs:
    """The DAG of one workflow's jobs: ``run_job`` runs a job instance, ``run_call`` a job
    that calls a reusable workflow."""

    def __init__(
        self,
        wf: WorkflowRun,
        job_ids: Iterable[str],
        *,
        run_job: UnitRunner,
        run_call: UnitRunner,
    ) -> None:
        self.wf = wf
        by_id = {job.id: job for job in wf.plan.jobs}
        self.jobs: dict[str, JobPlan] = {j: by_id[j] for j in job_ids}
        self.run_job = run_job
        self.run_call = run_call
        self.failed_ancestors: dict[str, bool] = {}

    def run(self) -> Conclusion:
        needs = {j: [n for n in job.needs if n in self.jobs] for j, job in self.jobs.items()}
        scheduler: DagScheduler[JobOutcome] = DagScheduler(needs, self.wf.options.max_jobs)
        scheduler.run(self._expand, self._finish)
        outcomes = [self.wf.outcomes[j] for j in self.jobs if j in self.wf.outcomes]
        if any(o.result == "waiting" for o in outcomes):
            return Conclusion.WAITING  # parked: not finished, whatever else happened
        if any(o.counts_as_failure for o in outcomes):
            return Conclusion.FAILURE
        if self.wf.control.cancelled or any(o.result == "cancelled" for o in outcomes):
            return Conclusion.CANCELLED
        return Conclusion.SUCCESS

    def _finish(self, job_id: str, results: list[JobOutcome]) -> None:
        if job_id not in self.wf.outcomes:  # skipped jobs record themselves
            self.wf.outcomes[job_id] = combine(results)

    def _base_contexts(self, job: JobPlan) -> dict[str, Any]:
        wf = self.wf
        needs = {
            n: {"result": wf.outcomes[n].result, "outputs": dict(wf.outcomes[n].outputs)}
            for n in job.needs
            if n in wf.outcomes
        }
        return {
            "github": wf.github,
            "needs": needs,
            "vars": dict(wf.options.vars),
            "inputs": dict(wf.inputs),
            "strategy": {},
            "matrix": {},
        }

    def _record(self, job_id: str, conclusion: Conclusion, note: str) -> Expansion[JobOutcome]:
        wf = self.wf
        key = wf.key_prefix + job_id
        job = self.jobs[job_id]
        prior = wf.prior.get(key)
        if prior is not None:  # decided before a resume: kept as it was
            wf.outcomes[job_id] = prior
            return Expansion([])
        now = time.time()
        name = job.name_template if isinstance(job.name_template, str) else job_id
        wf.publish(JobStarted(wf.run_id, key, job_id, name, started_at=now, needs=tuple(job.needs)))
        if note:
            StepLog(wf.publish, wf.run_id, key, None).line(note)
        outcome = outcome_of(conclusion)
        wf.publish(
            JobFinished(wf.run_id, key, conclusion, now, now, note=note, result=outcome.result)
        )
        wf.outcomes[job_id] = outcome
        return Expansion([])

    def _expand(self, job_id: str) -> Expansion[JobOutcome]:
        wf = self.wf
        job = self.jobs[job_id]
        if any(wf.outcomes[n].result == "waiting" for n in job.needs if n in wf.outcomes):
            wf.outcomes[job_id] = outcome_of(Conclusion.WAITING)  # decided after a resume
            return Expansion([])
        failed = any(
            wf.outcomes[n].result == "failure" or self.failed_ancestors.get(n, False)
            for n in job.needs
            if n in wf.outcomes
        )
        self.failed_ancestors[job_id] = failed
        ctx = self._base_contexts(job)
        cond = job.condition
        cancelled = wf.control.cancelled
        if not exprs.has_status_function(cond):
            unmet = [
                n for n in job.needs if n in wf.outcomes and wf.outcomes[n].result != "success"
            ]
            if cancelled:
                return self._record(job_id, Conclusion.CANCELLED, wf.control.reason)
            if unmet:
                return self._record(
                    job_id,
                    Conclusion.SKIPPED,
                    f"skipped: needed job(s) {', '.join(unmet)} did not succeed",
                )
        key = "if"
        try:
            wanted = exprs.condition(cond, ctx, failed=failed, cancelled=cancelled)
            key = "strategy"
            strategy = exprs.render(job.strategy or {}, ctx)
            strategy = strategy if isinstance(strategy, dict) else {}
            combos = expand_static(strategy["matrix"]) if strategy.get("matrix") else [{}]
        except ConveyorError as exc:
            return self._record(job_id, Conclusion.FAILURE, f"{job.where(key)}: {exc}")
        if not wanted:
            return self._record(job_id, Conclusion.SKIPPED, "")
        combos = self._chosen(job_id, combos)
        if not combos:
            return self._record(
                job_id, Conclusion.SKIPPED, "skipped: no matrix combination is selected (--matrix)"
            )
        fail_fast = exprs.truthy(strategy.get("fail-fast", True), ctx)
        limit = int(strategy["max-parallel"]) if strategy.get("max-parallel") else None
        group = wf.control.child()
        units = [
            self._unit(
                job, ctx, combo, (i, len(combos)), fail_fast=fail_fast, limit=limit, group=group
            )
            for i, combo in enumerate(combos)
        ]
        return Expansion(units, limit=limit)

    def _chosen(self, job_id: str, combos: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The combinations ``--matrix KEY:VALUE`` and ``--job 'id (values)'`` select (only for
        the workflow that was asked for, not inside called workflows)."""
        if self.wf.depth:
            return combos
        options = self.wf.options
        return chosen_combinations(job_id, combos, options.matrix_filter, options.job_filter)

    def _unit(
        self,
        job: JobPlan,
        base: dict[str, Any],
        combo: dict[str, Any],
        position: tuple[int, int],
        *,
        fail_fast: bool,
        limit: int | None,
        group: Control,
    ) -> Callable[[], JobOutcome]:
        index, total = position
        wf = self.wf
        key = wf.key_prefix + (matrix_key(job.id, combo) if total > 1 or combo else job.id)
        ctx = dict(base)
        ctx["matrix"] = combo
        ctx["strategy"] = {
            "fail-fast": fail_fast,
            "job-index": index,
            "job-total": total,
            "max-parallel": total if limit is None else limit,
        }

        def unit() -> JobOutcome:
            prior = wf.prior.get(key)
            if prior is not None and job.call is None:  # finished before a resume
                outcome = prior
            else:
                control = group.child()
                run = self.run_call if job.call is not None else self.run_job
                outcome = run(JobCall(wf, job, key, ctx, control))
            if fail_fast and total > 1 and outcome.counts_as_failure:
                group.cancel(f"fail-fast: {key} failed")
            return outcome

        return unit
