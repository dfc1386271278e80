"""Engine overhead: 200 trivial steps in one job, and 200 one-step jobs, against the same
commands in one bash script. Targets: <= 10 ms per step, <= 50 ms per job.

Usage: ``.venv/bin/python bench/bench_engine.py`` (or via bench/run_all.py).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from conveyor.actions import DefaultActionProvider
from conveyor.engine.contexts import RepoFacts
from conveyor.engine.masking import Masker
from conveyor.engine.run import WorkflowSpec, run_workflows
from conveyor.engine.runstate import RunOptions, Services
from conveyor.runners import LocalStepRunner

COUNT = 200


class _Null:
    def emit(self, event: object) -> None:
        del event


def _run(root: Path, data: dict[str, Any], max_jobs: int) -> float:
    services = Services(
        runner=LocalStepRunner(),
        actions=DefaultActionProvider(root / ".conveyor"),
        masker=Masker(),
        sinks=[_Null()],
    )
    options = RunOptions(repo=RepoFacts(root=root), state_dir=root / ".conveyor", max_jobs=max_jobs)
    began = time.perf_counter()
    reports = run_workflows([WorkflowSpec(root / "w.yml", data, "bench")], options, services)
    elapsed = time.perf_counter() - began
    assert str(reports[0].conclusion) == "success", reports
    return elapsed


def _bash(count: int) -> float:
    began = time.perf_counter()
    subprocess.run(["bash", "-c", "true\n" * count], check=True)
    return time.perf_counter() - began


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        steps = {
            "on": "push",
            "jobs": {"one": {"runs-on": "ubuntu-latest", "steps": [{"run": "true"}] * COUNT}},
        }
        jobs = {
            "on": "push",
            "jobs": {
                f"j{i}": {"runs-on": "ubuntu-latest", "steps": [{"run": "true"}]}
                for i in range(COUNT)
            },
        }
        baseline = _bash(COUNT)
        step_time = _run(root, steps, 1)
        job_time_serial = _run(root, jobs, 1)
        job_time_parallel = _run(root, jobs, 4)
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
        "target_ms_per_step": 10,
        "target_ms_per_job": 50,
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
