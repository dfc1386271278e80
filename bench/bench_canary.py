"""Canary releases judged by metrics, under load, with the process provider.

A load generator (bench/deploy_load.py, a process of its own) sends RATE requests a
second through conveyor's router while canaries of tests/fixtures/deploy_app run through
the real canary procedure (conveyor.delivery.canary: stage, publish, weight, background
analysis every INTERVAL, promote or abort), recorded in a real history database:

- BAD_RUNS canaries of a version that answers 500 on 5 % of requests;
- HEALTHY_RUNS canaries of healthy versions (each promoted one is the next's stable);
- SLOW_RUNS canaries of a version whose answers take 30 % longer (p95).

Every version answers after DELAY_MS (the slow one after 1.3x that). Plan: weight
WEIGHT %, a pause of 4.2 intervals (one interval of warm-up: a new Python process is
slower for its first requests; then 3 analysis intervals, judged cumulatively), then
100 %. Analysis: ``error-rate < 2 %`` (threshold; the first failing interval aborts) and
``latency-p95`` against the stable version (Mann-Whitney U over each request's latency,
alpha 0.01, effect >= 0.3, median >= 10 % worse; failure-limit 1: a second failing
interval aborts, one noisy interval on a busy machine does not). A bad or slow version
that was promoted anyway is replaced by a healthy one before the next run, so every
canary is compared with a healthy stable version.

Reported: ``bad_aborted`` (of BAD_RUNS), ``intervals_to_abort`` (the most any bad canary
took), ``requests_affected`` (the most failed requests a bad canary served before its
abort) with ``affected_bound`` (weight x rate x interval: one interval's canary traffic),
``stable_failed`` (requests answered by a stable version with an error, or not answered,
over the whole run), ``healthy_promoted`` (of HEALTHY_RUNS), ``false_aborts``,
``slow_caught`` (of SLOW_RUNS, aborted by the latency metric), ``requests_per_s``.

Targets: every bad canary aborted within 3 intervals with at most the bound affected,
0 stable failures, 20/20 healthy promoted with no false abort, every slow one caught, at
>= 200 requests/s.

Usage: ``.venv/bin/python bench/run_all.py canary`` (``CANARY_LATENCY_FAILURE_LIMIT=0``
to see the latency metric abort at its first failing interval instead).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from conveyor.delivery.canary import deploy_canary
from conveyor.delivery.canary_plan import make_plan
from conveyor.delivery.deploy import DeployRequest, deploy
from conveyor.delivery.ports import ArtifactRef, Target
from conveyor.delivery.rollback import DeliveryError
from conveyor.engine.ports import NewRun
from conveyor.providers.process import ProcessProvider, stop_all
from conveyor.store import SqlRunStore
from conveyor.store.canaries import CanaryStore

HERE = Path(__file__).resolve().parent
APP = HERE.parent / "tests" / "fixtures" / "deploy_app" / "app.py"
LOAD = HERE / "deploy_load.py"
RATE = 250.0
INTERVAL = 1.0  # seconds
WEIGHT = 20.0  # percent
DELAY_MS = 20.0
BAD_RUNS, HEALTHY_RUNS, SLOW_RUNS = 5, 20, 5
LATENCY_LIMIT = int(os.environ.get("CANARY_LATENCY_FAILURE_LIMIT", "1"))

STEPS = [{"weight": WEIGHT}, {"pause": INTERVAL * 4.2}, {"weight": 100}]
ANALYSIS = {
    "interval": INTERVAL,
    "warmup": INTERVAL,
    "window": "cumulative",
    "metrics": [
        {"name": "errors", "metric": "error-rate", "success": "< 0.02"},
        {"name": "latency", "metric": "latency-p95", "baseline": True, "alpha": 0.01,
         "min-effect": 0.3, "tolerance": 0.1, "min-samples": 10, "failure-limit": LATENCY_LIMIT},
    ],
}  # fmt: skip


def _artifact(base: Path, version: str, **knobs: float) -> ArtifactRef:
    folder = base / "artifacts" / version
    folder.mkdir(parents=True)
    shutil.copy(APP, folder / "app.py")
    (folder / "VERSION").write_text(version, encoding="utf-8")
    for name, value in knobs.items():
        (folder / name).write_text(str(value), encoding="utf-8")
    return ArtifactRef("bench", version, f"sha256:{version}", "files", str(folder))


class _Bench:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.state = base / "state"
        self.provider = ProcessProvider(self.state)
        self.target = Target(
            "bench",
            "bench",
            {"command": f"{sys.executable} app.py", "health": "/healthz", "stop-timeout": "5s",
             "drain-timeout": "10s"},
        )  # fmt: skip
        runs = SqlRunStore(self.state)
        self.run_id, _ = runs.begin_run(
            NewRun(
                workflow_path=".github/workflows/deploy.yml", workflow_name="deploy",
                event="push", ref="refs/heads/main", sha="0" * 40, repository="bench/bench",
                pid=os.getpid(), repository_key="bench.local/bench",
            )
        )  # fmt: skip
        runs.close()
        self.store = CanaryStore(self.state)
        repository = self.store.run_repository(self.run_id)
        assert repository is not None
        self.repository = repository
        self.plan = make_plan(STEPS, ANALYSIS)
        self.number = 0
        self.lines: list[str] = []

    def request(self, artifact: ArtifactRef) -> DeployRequest:
        return DeployRequest(
            target=self.target,
            provider_name="process",
            artifact=artifact,
            repository_id=self.repository,
            run_id=self.run_id,
            job_key="deploy",
        )

    def first(self) -> str:
        deploy(
            self.store,
            self.provider,
            self.request(_artifact(self.base, "v0", DELAY_MS=DELAY_MS)),
            log=self.lines.append,
            cancel=threading.Event(),
        )
        url = self.provider.endpoint(self.target)
        assert url is not None
        return url

    def canary(self, kind: str, **knobs: float) -> dict[str, Any]:
        self.number += 1
        version = f"v{self.number}-{kind}"
        artifact = _artifact(self.base, version, **knobs)
        stable = self.store.live(self.repository, "bench", "bench")
        assert stable is not None
        began = time.time()
        try:
            deploy_canary(
                self.store, self.provider, self.request(artifact), self.plan,
                log=self.lines.append, cancel=threading.Event(),
            )  # fmt: skip
            outcome = "promoted"
        except DeliveryError:
            outcome = "aborted"
        canary = self.store.latest_canary(self.repository, "bench", "bench")
        assert canary is not None
        if outcome == "promoted" and kind != "healthy":
            # a missed bad version must not become the next canary's baseline
            self.number += 1
            deploy(
                self.store, self.provider,
                self.request(_artifact(self.base, f"v{self.number}-reset", DELAY_MS=DELAY_MS)),
                log=self.lines.append, cancel=threading.Event(),
            )  # fmt: skip
        return {
            "version": version, "stable": stable.version, "outcome": outcome,
            "verdict": canary.verdict, "began": began, "ended": time.time(),
        }  # fmt: skip


def main() -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="bench-canary-"))
    bench = _Bench(base)
    load: subprocess.Popen[bytes] | None = None
    runs: list[dict[str, Any]] = []
    try:
        url = bench.first()
        out = base / "load.json"
        load = subprocess.Popen([sys.executable, str(LOAD), str(RATE), str(out), url],
                                stdout=subprocess.PIPE)  # fmt: skip
        assert load.stdout is not None and load.stdout.readline().strip() == b"ready"
        time.sleep(1.0)
        started_at = time.time()
        for _ in range(BAD_RUNS):
            runs.append(bench.canary("bad", DELAY_MS=DELAY_MS, ERROR_RATE=0.05))
        for _ in range(HEALTHY_RUNS):
            runs.append(bench.canary("healthy", DELAY_MS=DELAY_MS))
        for _ in range(SLOW_RUNS):
            runs.append(bench.canary("slow", DELAY_MS=DELAY_MS * 1.3))
        ended_at = time.time()
        time.sleep(0.5)
        load.send_signal(signal.SIGTERM)
        load.wait(60)
        results = json.loads(out.read_text(encoding="utf-8"))
    finally:
        if load is not None and load.poll() is None:
            load.kill()
        stop_all(bench.state)
        bench.store.close()

    bad = [r for r in runs if r["version"].endswith("-bad")]
    healthy = [r for r in runs if r["version"].endswith("-healthy")]
    slow = [r for r in runs if r["version"].endswith("-slow")]
    affected = [
        sum(1 for _, _, _, status, body in results if body == f"{r['version']} failed") for r in bad
    ]
    canary_versions = {r["version"] for r in bad + slow}
    stable_failed = sum(
        1
        for _, _, _, status, body in results
        if status != 200 and not any(body == f"{v} failed" for v in canary_versions)
    )
    during = [r for r in results if started_at <= r[1] <= ended_at]
    shutil.rmtree(base, ignore_errors=True)
    return {
        "requests": len(results),
        "requests_per_s": round(len(during) / (ended_at - started_at), 1),
        "bad_aborted": f"{sum(r['outcome'] == 'aborted' for r in bad)}/{len(bad)}",
        "bad_aborted_by": sorted({r["verdict"].get("metric", "") for r in bad}),
        "intervals_to_abort": max((r["verdict"].get("interval", 99) for r in bad), default=0),
        "requests_affected": max(affected, default=0),
        "affected_bound": int(WEIGHT / 100 * RATE * INTERVAL),
        "stable_failed": stable_failed,
        "healthy_promoted": f"{sum(r['outcome'] == 'promoted' for r in healthy)}/{len(healthy)}",
        "false_aborts": sum(r["outcome"] == "aborted" for r in healthy),
        "false_abort_reasons": [r["verdict"] for r in healthy if r["outcome"] == "aborted"][:3],
        "slow_caught": f"{sum(r['verdict'].get('metric') == 'latency' for r in slow)}/{len(slow)}",
        "interval_s": INTERVAL,
        "weight": WEIGHT,
    }


if __name__ == "__main__":
    print(json.dumps(main(), sort_keys=True))
