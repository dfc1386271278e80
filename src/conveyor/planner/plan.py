"""The plan: which workflows fire, and each job's needs, matrix and runners.

Plain frozen dataclasses; :meth:`Plan.to_json` gives the ``conveyor plan --format
json`` document. A job without a matrix has ``matrix == []`` (it runs once); a job
whose matrix is only known at run time has ``matrix is None`` and
``dynamic_matrix`` set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conveyor.planner.graph import JobGraph


@dataclass(frozen=True, slots=True)
class JobPlan:
    """One job as planned.

    ``runs_on`` lists every label the job needs, over all its combinations (first
    seen first); ``runs_on_by_combination`` gives the labels of each combination,
    in ``matrix`` order (empty when the job has no matrix).
    """

    id: str
    name: str
    needs: tuple[str, ...]
    matrix: list[dict[str, Any]] | None
    runs_on: list[str]
    dynamic_matrix: bool = False
    matrix_reason: str = ""
    runs_on_by_combination: list[list[str]] = field(default_factory=list)
    runner_group: str | None = None
    dynamic_runs_on: bool = False
    uses: str | None = None
    if_: str | None = None

    @property
    def has_matrix(self) -> bool:
        return self.dynamic_matrix or bool(self.matrix)

    def combinations(self) -> list[dict[str, Any]]:
        """The matrix contexts the job runs with: ``[{}]`` for a job without a matrix."""
        return list(self.matrix) if self.matrix else [{}]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "needs": list(self.needs),
            "matrix": self.matrix,
            "runs_on": list(self.runs_on),
            "dynamic_matrix": self.dynamic_matrix,
        }
        if self.dynamic_matrix:
            data["matrix_reason"] = self.matrix_reason
        if self.runs_on_by_combination and any(
            labels != self.runs_on for labels in self.runs_on_by_combination
        ):
            data["runs_on_by_combination"] = self.runs_on_by_combination
        if self.runner_group is not None:
            data["runner_group"] = self.runner_group
        if self.dynamic_runs_on:
            data["dynamic_runs_on"] = True
        if self.uses is not None:
            data["uses"] = self.uses
        if self.if_ is not None:
            data["if"] = self.if_
        return data


@dataclass(frozen=True, slots=True)
class WorkflowPlan:
    """A workflow: whether the event fires it (``reason`` says why not) and its jobs.

    ``jobs`` are in dependency order (empty when the workflow does not fire);
    ``graph`` is the ``needs`` graph for the engine's scheduler.
    """

    path: str
    name: str
    fires: bool
    reason: str
    jobs: list[JobPlan]
    graph: JobGraph | None = None

    def job(self, job_id: str) -> JobPlan:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "fires": self.fires,
            "reason": self.reason,
            "jobs": [job.to_json() for job in self.jobs],
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """Every workflow considered for one event, in the order given."""

    event: str
    workflows: list[WorkflowPlan]

    def firing(self) -> list[WorkflowPlan]:
        return [w for w in self.workflows if w.fires]

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "workflows": [w.to_json() for w in self.workflows]}
