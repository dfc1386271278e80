"""Engine overhead: 200 trivial steps in one job, and 200 one-step jobs, against the same
commands in one bash script; and what ``--executor process`` (a child process per job)
adds per job over the local executor, in paired runs.

Targets: <= 10 ms per step, <= 50 ms per job, process executor <= +30 ms per job.

Usage: ``.venv/bin/python bench/bench_engine.py`` (or via bench/run_all.py).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from conveyor.actions import DefaultActionProvider
from conveyor.engine.local_executor import LocalJobExecutor
from conveyor.engine.masking import Masker
from conveyor.engine.ports import JobExecutor
from conveyor.engine.run import run_workflows
from conveyor.engine.runstate import RunOptions, Services
from conveyor.executors.process import ProcessJobExecutor
from conveyor.planner.build import plan_workflow
from conveyor.planner.github import RepoFacts
from conveyor.runners import LocalStepRunner
from conveyor.workflow.loader import load_workflow

COUNT = 200
PAIRED_JOBS = 40
PAIRS = 5


class _Null:
    def emit(self, event: object) -> None:
        del event


def _run(root: Path, data: dict[str, Any], max_jobs: int, executor: str = "local") -> float:
    path = root / ".github" / "workflows" / "w.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    loaded = load_workflow(str(path))
    plan = plan_workflow(
        loaded.require(), path=str(path), event="push", payload={}, document=loaded.document
    )
    options = RunOptions(repo=RepoFacts(root=root), state_dir=root / ".conveyor", max_jobs=max_jobs)
    masker = Masker()
    actions = DefaultActionProvider(root / ".conveyor")
    jobs: JobExecutor
    if executor == "process":
        jobs = ProcessJobExecutor({}, spares=max_jobs)
    else:
        jobs = LocalJobExecutor(LocalStepRunner(), actions, masker, {})
    services = Services(executor=jobs, actions=actions, masker=masker, sinks=[_Null()])
    try:
        began = time.perf_counter()
        reports = run_workflows([plan], options, services)
        elapsed = time.perf_counter() - began
    finally:
        jobs.close()
    assert str(reports[0].conclusion) == "success", reports
    return elapsed


def _bash(count: int) -> float:
    began = time.perf_counter()
    subprocess.run(["bash", "-c", "true\n" * count], check=True)
    return time.perf_counter() - began


def _jobs(count: int) -> dict[str, Any]:
    return {
        "on": "push",
        "jobs": {
            f"j{i}": {"runs-on": "ubuntu-latest", "steps": [{"run": "true"}]} for i in range(count)
        },
    }


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        steps = {
            "on": "push",
            "jobs": {"one": {"runs-on": "ubuntu-latest", "steps": [{"run": "true"}] * COUNT}},
        }
        baseline = _bash(COUNT)
        step_time = _run(root, steps, 1)
        job_time_serial = _run(root, _jobs(COUNT), 1)
        job_time_parallel = _run(root, _jobs(COUNT), 4)
        added: list[float] = []
        added_parallel: list[float] = []
        for _ in range(PAIRS):  # paired: local then process, same workflow, same moment
            local = _run(root, _jobs(PAIRED_JOBS), 1)
            process = _run(root, _jobs(PAIRED_JOBS), 1, "process")
            added.append((process - local) / PAIRED_JOBS * 1000)
            local = _run(root, _jobs(PAIRED_JOBS), 2)
            process = _run(root, _jobs(PAIRED_JOBS), 2, "process")
            added_parallel.append((process - local) / PAIRED_JOBS * 1000)
    per_step = (step_time - baseline) / COUNT * 1000
    per_job = (job_time_serial - baseline) / COUNT * 1000
    return {
        "steps": COUNT,
        "bash_script_s": round(baseline, 4),
        "one_job_200_steps_s": round(step_time, 3),
        "ms_per_step_overhead": round(per_step, 2),
        "200_jobs_serial_s": round(job_time_serial, 3),
        "ms_per_job_overhead": round(per_job, 2),
        "200_jobs_4_workers_s": round(job_time_parallel, 3),
        "process_executor_added_ms_per_job_serial": round(statistics.median(added), 1),
        "process_executor_added_ms_per_job_2_workers": round(statistics.median(added_parallel), 1),
        "target_ms_per_step": 10,
        "target_ms_per_job": 50,
        "target_process_added_ms_per_job": 30,
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
