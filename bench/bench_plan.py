"""Benchmark: plan a 1,000-job workflow whose jobs each have a 256-combination matrix.

Needs mix chains and fan-out/fan-in. Times the plan of the loaded model (target
< 1 s) and, separately, loading + validating the YAML. Run
``.venv/bin/python bench/bench_plan.py``; ``main()`` returns the numbers.
"""

from __future__ import annotations

import time

from conveyor.planner import plan_workflows
from conveyor.workflow import load_workflow_text

N_JOBS = 1_000
TARGET_S = 1.0


def _needs(i: int) -> list[str]:
    if i == 0:
        return []
    if i % 10 == 0:  # fan-in: every tenth job waits for the previous nine
        return [f"job{j}" for j in range(i - 9, i)]
    if i % 10 == 1:  # a chain link
        return [f"job{i - 1}"]
    return [f"job{i - (i % 10) + 1}"]  # fan-out from the chain link


def generate(n_jobs: int = N_JOBS) -> str:
    lines = ["name: big", "on: push", "jobs:"]
    for i in range(n_jobs):
        needs = _needs(i)
        lines.append(f"  job{i}:")
        if needs:
            lines.append(f"    needs: [{', '.join(needs)}]")
        lines += [
            "    runs-on: ${{ matrix.os }}",
            "    strategy:",
            "      matrix:",
            "        os: [ubuntu-latest, windows-latest, macos-latest, ubuntu-22.04]",
            "        py: ['3.10', '3.11', '3.12', '3.13']",
            "        db: [pg, mysql, sqlite, none]",
            "        arch: [x64, arm64, x86, riscv]",
            "    steps:",
            "      - run: echo ${{ matrix.os }} ${{ matrix.py }}",
        ]
    return "\n".join(lines) + "\n"


def main() -> dict[str, object]:
    text = generate()
    start = time.perf_counter()
    loaded = load_workflow_text(text, "bench.yml")
    load_s = time.perf_counter() - start
    assert not loaded.errors, loaded.errors[:3]
    start = time.perf_counter()
    plan = plan_workflows([loaded], event="push")
    plan_s = time.perf_counter() - start
    jobs = plan.workflows[0].jobs
    combos = sum(len(j.matrix or []) for j in jobs)
    print(
        f"plan: {len(jobs):,} jobs, {combos:,} combinations in {plan_s:.3f}s "
        f"(target < {TARGET_S}s); load+validate {load_s:.3f}s"
    )
    return {
        "jobs": len(jobs),
        "combinations": combos,
        "plan_s": round(plan_s, 4),
        "load_validate_s": round(load_s, 4),
        "target_s": TARGET_S,
        "ok": plan_s < TARGET_S,
    }


if __name__ == "__main__":
    main()
