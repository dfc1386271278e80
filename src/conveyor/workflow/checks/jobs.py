"""Checks on jobs: ids, required keys, ``needs`` (unknown ids, cycles), matrix, timeouts."""

from __future__ import annotations

import difflib
import re
from typing import Any

from conveyor.expressions.templates import OPEN
from conveyor.workflow.checks.base import CheckContext, str_items
from conveyor.workflow.checks.steps import ID_RE, check_shell, check_timeout
from conveyor.workflow.model.jobs import REUSABLE_JOB_KEYS
from conveyor.workflow.yamlload import Path

_REUSABLE_RE = re.compile(
    r"(\./\.github/workflows/[^@\s]+\.ya?ml"
    r"|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/\.github/workflows/[^@\s]+\.ya?ml@[^@\s]+)\Z"
)
_RUNNER_ONLY = frozenset(
    {"runs-on", "steps", "env", "defaults", "outputs", "container", "services", "environment"}
    | {"timeout-minutes", "continue-on-error", "snapshot"}
)


def _job_shape(ctx: CheckContext, job_id: str, job: dict[str, Any]) -> None:
    base: Path = ("jobs", job_id)
    if "uses" in job:
        for key in job:
            if key not in REUSABLE_JOB_KEYS and key in _RUNNER_ONLY:
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
    if "runs-on" not in job:
        ctx.error(
            base,
            f"job '{job_id}' has no 'runs-on' (where to run its steps) and no 'uses' "
            "(a reusable workflow); add one",
            "required",
            at_key=True,
        )
    elif "steps" not in job:
        ctx.error(base, f"job '{job_id}' has no 'steps'; add at least one", "required", at_key=True)


def _matrix(ctx: CheckContext, job_id: str, job: dict[str, Any]) -> None:
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return
    base: Path = ("jobs", job_id, "strategy", "matrix")
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
    jobs = dict(ctx.jobs())
    for job_id, job in jobs.items():
        if not ID_RE.match(job_id):
            ctx.error(
                ("jobs", job_id),
                f"invalid job id '{job_id}'; it must start with a letter or '_' and contain "
                "only letters, digits, '-' and '_'",
                "job-id",
                at_key=True,
            )
        _job_shape(ctx, job_id, job)
        _matrix(ctx, job_id, job)
        check_timeout(ctx, ("jobs", job_id, "timeout-minutes"), job.get("timeout-minutes"))
        check_shell(ctx, ("jobs", job_id, "defaults", "run", "shell"))
    _cycles(ctx, _needs(ctx, jobs))
    check_shell(ctx, ("defaults", "run", "shell"))
