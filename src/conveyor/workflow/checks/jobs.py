"""Checks on jobs: ids, the keys of each kind of job, ``needs`` (unknown ids, cycles),
matrix, ``runs-on`` groups, container images, timeouts."""

from __future__ import annotations

import difflib
import re
from typing import Any

from conveyor.expressions.templates import OPEN, has_expression, is_insert_key
from conveyor.workflow.checks.base import CheckContext, str_items
from conveyor.workflow.checks.steps import check_shell, check_timeout, id_problem
from conveyor.workflow.model.jobs import REUSABLE_JOB_KEYS, Job
from conveyor.workflow.yamlload import Path

_REUSABLE_RE = re.compile(
    r"(\./\.github/workflows/[^@\s]+\.ya?ml"
    r"|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/\.github/workflows/[^@\s]+\.ya?ml@[^@\s]+)\Z"
)
_RUNNER_ONLY = frozenset(f.alias or n for n, f in Job.model_fields.items()) - REUSABLE_JOB_KEYS
_GROUP_PREFIXES = ("org", "organization", "ent", "enterprise")


def _job_shape(ctx: CheckContext, job_id: str, job: dict[str, Any]) -> None:
    base: Path = ("jobs", job_id)
    if "uses" in job:
        for key in job:
            if key in _RUNNER_ONLY:
                ctx.error(
                    (*base, key),
                    f"'{key}' is not allowed in job '{job_id}', which calls a reusable "
                    "workflow ('uses'); remove it or move it into the called workflow",
                    "unknown-key",
                    at_key=True,
                )
        uses = job["uses"]
        if isinstance(uses, str) and OPEN not in uses and not _REUSABLE_RE.match(uses):
            ctx.error(
                (*base, "uses"),
                f"invalid reusable workflow reference '{uses}'; use "
                "'owner/repo/.github/workflows/file.yml@ref' or './.github/workflows/file.yml'",
                "uses",
            )
        return
    for key in ("with", "secrets"):
        if key in job:
            ctx.error(
                (*base, key),
                f"'{key}' in job '{job_id}' only applies to a reusable workflow call; "
                "add 'uses' or move it to a step",
                "unknown-key",
                at_key=True,
            )
    if "runs-on" not in job and "runs_on" not in job:  # runs_on: reported as an unknown key
        ctx.error(
            base,
            f"job '{job_id}' has no 'runs-on' (where to run its steps) and no 'uses' "
            "(a reusable workflow); add one",
            "required",
            at_key=True,
        )
    elif "steps" not in job:
        ctx.error(base, f"job '{job_id}' has no 'steps'; add at least one", "required", at_key=True)


def _containers(ctx: CheckContext, job_id: str, job: dict[str, Any]) -> None:
    """A container given as a mapping needs an ``image`` (unless expressions build it)."""
    places: list[tuple[Path, Any]] = [(("jobs", job_id, "container"), job.get("container"))]
    services = job.get("services")
    if isinstance(services, dict):
        places += [(("jobs", job_id, "services", name), v) for name, v in services.items()]
    for path, value in places:
        if isinstance(value, dict) and "image" not in value and not has_expression(value):
            what = "the container" if path[-1] == "container" else f"service '{path[-1]}'"
            ctx.error(
                path,
                f"{what} of job '{job_id}' has no 'image'; add the Docker image to run",
                "required",
            )


def _runs_on_group(ctx: CheckContext, job_id: str, job: dict[str, Any]) -> None:
    runs_on = job.get("runs-on")
    group = runs_on.get("group") if isinstance(runs_on, dict) else None
    if not isinstance(group, str) or OPEN in group or "/" not in group:
        return
    prefix, _, name = group.partition("/")
    if prefix in _GROUP_PREFIXES and name and "/" not in name:
        return
    ctx.error(
        ("jobs", job_id, "runs-on", "group"),
        f"invalid runs-on group '{group}'; a group is 'name', 'organization/name' or "
        "'enterprise/name' (also 'org/' and 'ent/')",
        "runs-on",
    )


def _matrix(ctx: CheckContext, job_id: str, job: dict[str, Any]) -> None:
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return
    base: Path = ("jobs", job_id, "strategy", "matrix")
    if any(is_insert_key(k) for k in matrix):
        return  # keys come from an expression at run time
    vectors = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    for key, values in vectors.items():
        if values == []:
            ctx.error(
                (*base, key),
                f"matrix vector '{key}' of job '{job_id}' is empty, so the job would never "
                "run; add values or remove it",
                "matrix-empty",
            )
    if not vectors and not matrix.get("include"):
        ctx.error(
            base,
            f"matrix of job '{job_id}' has no vectors and no 'include'; add some or remove it",
            "matrix-empty",
        )


def _needs(ctx: CheckContext, jobs: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {}
    for job_id, job in jobs.items():
        graph[job_id] = []
        for index, need in str_items(job.get("needs")):
            path: Path = ("jobs", job_id, "needs")
            if index is not None:
                path = (*path, index)
            if need in jobs:
                graph[job_id].append(need)
                continue
            close = difflib.get_close_matches(need, list(jobs), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "check the job id"
            ctx.error(path, f"job '{job_id}' needs unknown job '{need}'; {hint}", "needs-unknown")
    return graph


def _cycles(ctx: CheckContext, graph: dict[str, list[str]]) -> None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    seen: set[frozenset[str]] = set()

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, []):
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    first = cycle[0]
                    ctx.error(
                        ("jobs", first, "needs"),
                        f"dependency cycle: {' -> '.join(cycle)}; remove one of these 'needs'",
                        "needs-cycle",
                        at_key=True,
                    )
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def check_jobs(ctx: CheckContext) -> None:
    all_jobs = ctx.data.get("jobs") if isinstance(ctx.data, dict) else None
    if all_jobs == {}:
        ctx.error(("jobs",), "the workflow has no jobs; add at least one", "required", at_key=True)
    jobs = dict(ctx.jobs())
    for job_id, job in jobs.items():
        problem = id_problem(job_id)
        if problem:
            ctx.error(
                ("jobs", job_id),
                problem.replace("invalid id", "invalid job id"),
                "job-id",
                at_key=True,
            )
        _job_shape(ctx, job_id, job)
        _containers(ctx, job_id, job)
        _runs_on_group(ctx, job_id, job)
        _matrix(ctx, job_id, job)
        check_timeout(ctx, ("jobs", job_id, "timeout-minutes"), job.get("timeout-minutes"))
        check_shell(ctx, ("jobs", job_id, "defaults", "run", "shell"))
    _cycles(ctx, _needs(ctx, jobs))
    check_shell(ctx, ("defaults", "run", "shell"))
