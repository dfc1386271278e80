"""The job dependency graph: ``needs`` edges, dependants, and a stable topological order.

The order is topological by ``needs`` and stable: among the jobs whose needs are
all placed, the one written first in the YAML comes first. The engine's ready-set
scheduler uses :attr:`JobGraph.needs` and :attr:`JobGraph.dependants`.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from conveyor.errors import UserError


class GraphError(UserError):
    """``needs`` names an unknown job or forms a cycle; ``job`` is where it shows."""

    def __init__(self, message: str, *, job: str, need: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.job = job
        self.need = need


@dataclass(frozen=True, slots=True)
class JobGraph:
    """Jobs in YAML order, their ``needs``, their dependants, and the run order."""

    jobs: tuple[str, ...]
    needs: Mapping[str, tuple[str, ...]]
    dependants: Mapping[str, tuple[str, ...]]
    order: tuple[str, ...]

    def roots(self) -> tuple[str, ...]:
        """Jobs that need nothing, in YAML order."""
        return tuple(j for j in self.jobs if not self.needs[j])

    def ready(self, done: set[str] | frozenset[str]) -> list[str]:
        """Jobs not in ``done`` whose needs are all in ``done``, in run order."""
        return [j for j in self.order if j not in done and all(n in done for n in self.needs[j])]


def _find_cycle(needs: Mapping[str, tuple[str, ...]], left: set[str]) -> list[str]:
    """A cycle among ``left`` (every job there is on or behind a cycle)."""
    start = next(j for j in needs if j in left)
    path: list[str] = []
    index: dict[str, int] = {}
    job = start
    while job not in index:
        index[job] = len(path)
        path.append(job)
        job = next(n for n in needs[job] if n in left)
    return [*path[index[job] :], job]


def build_graph(needs: Mapping[str, Sequence[str]]) -> JobGraph:
    """Build the graph from ``{job: needs}`` in YAML order.

    Raises :class:`GraphError` for a need that names no job, a job that needs
    itself, or a cycle.
    """
    jobs = tuple(needs)
    position = {job: i for i, job in enumerate(jobs)}
    clean: dict[str, tuple[str, ...]] = {}
    dependants: dict[str, list[str]] = {job: [] for job in jobs}
    for job in jobs:
        unique = tuple(dict.fromkeys(needs[job]))
        for need in unique:
            if need not in position:
                raise GraphError(
                    f"job '{job}' needs '{need}', which is not a job in this workflow",
                    job=job,
                    need=need,
                )
            dependants[need].append(job)
        clean[job] = unique
    waiting = {job: len(clean[job]) for job in jobs}
    heap = [position[job] for job in jobs if waiting[job] == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        job = jobs[heapq.heappop(heap)]
        order.append(job)
        for dependant in dependants[job]:
            waiting[dependant] -= 1
            if waiting[dependant] == 0:
                heapq.heappush(heap, position[dependant])
    if len(order) < len(jobs):
        cycle = _find_cycle(clean, set(jobs) - set(order))
        raise GraphError(
            "jobs form a dependency cycle: " + " -> ".join(cycle), job=cycle[0], need=cycle[1]
        )
    return JobGraph(
        jobs=jobs,
        needs=clean,
        dependants={job: tuple(d) for job, d in dependants.items()},
        order=tuple(order),
    )


def job_id_of(wanted: str, jobs: Collection[str]) -> str | None:
    """The job a ``--job`` value names: a job id, or a matrix job's display name
    (``test (3.12, ubuntu-latest)``); None when it names no job."""
    if wanted in jobs:
        return wanted
    head, sep, _rest = wanted.partition(" (")
    if sep and wanted.endswith(")") and head in jobs:
        return head
    return None


def select_jobs(graph: JobGraph, wanted: Sequence[str]) -> list[str]:
    """The ``wanted`` jobs (ids or matrix display names) and, transitively, everything they
    need, in the order written (every job when nothing is wanted). Unknown names are ignored
    here; the caller says which names it does not know."""
    if not wanted:
        return list(graph.jobs)
    chosen: set[str] = set()
    stack = [j for j in (job_id_of(w, graph.needs) for w in wanted) if j is not None]
    while stack:
        job = stack.pop()
        if job not in chosen:
            chosen.add(job)
            stack.extend(graph.needs[job])
    return [j for j in graph.jobs if j in chosen]
