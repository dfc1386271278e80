"""Which logs ``conveyor logs RUN [JOB[/STEP]]`` means, with errors naming what exists.

JOB: the job key (``test (3.12)``), the job id (``test``: every matrix instance) or a
prefix of either that names one job id. STEP: the step index or its name (or a unique
prefix of it, case-insensitive). Job keys (``caller/callee``) and step names
(``Run actions/checkout@v4``) may themselves hold ``/``: the whole target is tried as a
job first, then every ``/`` in it (the last first) as the place where the step begins.
``--step`` names the step on its own, so no splitting is needed at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from conveyor.errors import UserError
from conveyor.store.queries import JobInfo, RunDetail, StepInfo


@dataclass(frozen=True, slots=True)
class LogSelection:
    job: JobInfo
    steps: tuple[StepInfo, ...]
    whole_job: bool  # also show the job-level log and headers


def select_logs(
    detail: RunDetail, target: str | None, step: str | None = None
) -> list[LogSelection]:
    if step is not None:
        jobs = _match_jobs(detail, target) if target else list(detail.jobs)
        if not jobs:
            raise UserError(f"run {detail.run.id} has no job {target!r}; {_job_names(detail)}")
        return [LogSelection(job, (_match_step(detail, job, step),), False) for job in jobs]
    if not target:
        return [LogSelection(job, job.steps, True) for job in detail.jobs]
    jobs = _match_jobs(detail, target)
    if jobs:
        return [LogSelection(job, job.steps, True) for job in jobs]
    first_error: UserError | None = None
    splits = [i for i, char in enumerate(target) if char == "/"]
    for cut in reversed(splits):
        job_spec, step_spec = target[:cut], target[cut + 1 :]
        jobs = _match_jobs(detail, job_spec) if job_spec else []
        if not jobs:
            continue
        try:
            return [
                LogSelection(job, (_match_step(detail, job, step_spec),), False) for job in jobs
            ]
        except UserError as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    job_spec = target[: splits[0]] if splits else target
    raise UserError(f"run {detail.run.id} has no job {job_spec!r}; {_job_names(detail)}")


Place = tuple[str, int | None]  # (job key, step index; None: the job's own lines)


def wanted_places(detail: RunDetail, target: str | None, step: str | None) -> set[Place] | None:
    """Where the lines ``target``/``step`` select are written (None: everywhere), for
    following a run as it writes: a job or step not recorded yet selects nothing yet
    while the run goes on (lines are stored after their job starts, so a follower that
    reads lines first and the run's detail second never drops one)."""
    if not target and not step:
        return None
    try:
        selections = select_logs(detail, target, step) if detail.jobs else []
    except UserError:
        if detail.run.status == "completed":
            raise
        return set()
    wanted: set[Place] = set()
    for selection in selections:
        if selection.whole_job:
            wanted.add((selection.job.job_key, None))
        wanted.update((selection.job.job_key, chosen.index) for chosen in selection.steps)
    return wanted


def is_wanted(job_key: str, step_index: int | None, wanted: set[Place] | None) -> bool:
    return wanted is None or (job_key, step_index) in wanted or (job_key, None) in wanted


def _job_names(detail: RunDetail) -> str:
    if not detail.jobs:
        return "it has no jobs recorded"
    return "its jobs: " + ", ".join(job.job_key for job in detail.jobs)


def _match_jobs(detail: RunDetail, spec: str) -> list[JobInfo]:
    for exact in (
        [job for job in detail.jobs if job.job_key == spec],
        [job for job in detail.jobs if job.job_id == spec],
    ):
        if exact:
            return exact
    found = [
        job for job in detail.jobs if job.job_key.startswith(spec) or job.job_id.startswith(spec)
    ]
    ids = sorted({job.job_id for job in found})
    if len(ids) > 1:
        raise UserError(
            f"job {spec!r} of run {detail.run.id} is ambiguous: it matches "
            + ", ".join(ids)
            + "; give more of the job id or the full job key"
        )
    return found


def _match_step(detail: RunDetail, job: JobInfo, spec: str) -> StepInfo:
    steps = job.steps
    if spec.isdigit():
        found = [step for step in steps if step.index == int(spec)]
    else:
        lowered = spec.lower()
        found = [step for step in steps if step.name == spec]
        found = found or [step for step in steps if step.name.lower() == lowered]
        found = found or [step for step in steps if step.name.lower().startswith(lowered)]
    if len(found) == 1:
        return found[0]
    names = ", ".join(f"{step.index} {step.name!r}" for step in steps) or "none recorded"
    problem = "is ambiguous" if found else "does not exist"
    raise UserError(
        f"step {spec!r} of job {job.job_key!r} in run {detail.run.id} {problem}; its steps: {names}"
    )
