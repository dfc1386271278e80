"""Zero-downtime deploys with the process provider, under load.

A load generator (bench/deploy_load.py, a process of its own) sends RATE requests a
second through conveyor's router, and as many straight to a copy of the same app that
no router fronts, while 10 deploys (stage, probe, publish, switch, retire the old) and
5 rollbacks (switch back to the version just retired, which starts it again; retire the
one rolled back from) happen. The app is tests/fixtures/deploy_app (aiohttp); it stops
at once on SIGTERM, so only the router's drain keeps requests from failing.

Reported: ``requests`` (through the router), ``failed_requests`` (no answer or not 200),
``misrouted`` (started after a switch returned, answered by another version),
``p99_added_ms`` (p99 through the router minus p99 straight to the app, same run),
``switch_ms`` / ``rollback_ms`` (the slowest; from the call to the moment every new
request goes to the version; a rollback includes starting the retired version again).

Targets: 0 failed requests, p99 added <= 2 ms, switch <= 50 ms, rollback <= 1 s, at
>= 200 requests/s.

Usage: ``.venv/bin/python bench/run_all.py deploy``.
"""

from __future__ import annotations

import bisect
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from conveyor.delivery.ports import ArtifactRef, Probe, Target
from conveyor.providers.pids import free_port
from conveyor.providers.process import ProcessProvider, stop_all

HERE = Path(__file__).resolve().parent
APP = HERE.parent / "tests" / "fixtures" / "deploy_app" / "app.py"
LOAD = HERE / "deploy_load.py"
RATE = 250.0  # requests a second through the router (and as many straight to the app)
DEPLOYS = 10
PAUSE = 0.5  # seconds of load between two operations


def _artifact(base: Path, version: str) -> ArtifactRef:
    folder = base / "artifacts" / version
    folder.mkdir(parents=True)
    shutil.copy(APP, folder / "app.py")
    (folder / "VERSION").write_text(version, encoding="utf-8")
    return ArtifactRef("bench", version, f"sha256:{version}", "files", str(folder))


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def _direct_app(base: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The same app, started on its own: what calling the app directly costs."""
    folder = _artifact(base, "direct").location
    port = free_port()
    app = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=folder,
        env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return app, url
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def main() -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    state = base / "state"
    provider = ProcessProvider(state)
    where = Target(
        "bench",
        "bench",
        {"command": f"{sys.executable} app.py", "health": "/healthz", "stop-timeout": "5s"},
    )
    direct, direct_url = _direct_app(base)
    load: subprocess.Popen[bytes] | None = None
    try:
        first = provider.publish(where, provider.stage(where, _artifact(base, "v0")))
        provider.switch(where, first)
        router_url = provider.endpoint(where)
        assert router_url is not None
        out = base / "load.json"
        load = subprocess.Popen(
            [sys.executable, str(LOAD), str(RATE), str(out), router_url, direct_url],
            stdout=subprocess.PIPE,
        )
        assert load.stdout is not None and load.stdout.readline().strip() == b"ready"
        time.sleep(1.0)

        # (wall-clock moments a switch was called and returned, the version it switched
        # to): a request that started after a switch returned must get its version, or
        # the next switch's if that one was called before the request started
        switched: list[tuple[float, float, str]] = []
        switches: list[float] = []
        rollbacks: list[float] = []
        live, live_name = first, "v0"

        def switch(version: str, name: str, into: list[float]) -> None:
            called = time.time()
            started = time.perf_counter()
            provider.switch(where, version)
            into.append(time.perf_counter() - started)
            switched.append((called, time.time(), name))

        started_at = time.time()
        for number in range(1, DEPLOYS + 1):
            name = f"v{number}"
            staged = provider.stage(where, _artifact(base, name))
            answer = provider.probe(where, staged, Probe(path="/version"))
            assert (answer.status, answer.body) == (200, name), answer
            version = provider.publish(where, staged)
            switch(version, name, switches)
            previous, previous_name = live, live_name
            live, live_name = version, name
            time.sleep(PAUSE)
            provider.retire(where, previous)
            time.sleep(PAUSE)
            if number % 2 == 0:  # roll back to the version just retired
                switch(previous, previous_name, rollbacks)
                time.sleep(PAUSE)
                provider.retire(where, live)
                live, live_name = previous, previous_name
                time.sleep(PAUSE)
        ended_at = time.time()
        time.sleep(0.5)
        load.send_signal(signal.SIGTERM)
        load.wait(60)
        results = json.loads(out.read_text(encoding="utf-8"))
    finally:
        if load is not None and load.poll() is None:
            load.kill()
        stop_all(state)
        direct.terminate()
        direct.wait(10)

    routed = [r for r in results if r[0] == 0]
    straight = [r for r in results if r[0] == 1]
    failed = [r for r in routed if r[3] != 200]
    returned = [moment for _, moment, _ in switched]
    misrouted = 0
    for _, started, _, status, body in routed:
        last = bisect.bisect_right(returned, started) - 1
        if status != 200 or last < 0:
            continue
        allowed = {switched[last][2]}
        if last + 1 < len(switched) and switched[last + 1][0] <= started:
            allowed.add(switched[last + 1][2])
        misrouted += body not in allowed
    during = [r for r in routed if started_at <= r[1] <= ended_at]
    routed_ms = [r[2] * 1000 for r in routed if r[3] == 200]
    straight_ms = [r[2] * 1000 for r in straight if r[3] == 200]
    shutil.rmtree(base, ignore_errors=True)
    return {
        "requests": len(routed),
        "failed_requests": len(failed),
        "failed_examples": [r[4][:120] for r in failed[:3]],
        "misrouted": misrouted,
        "requests_per_s": round(len(during) / (ended_at - started_at), 1),
        "direct_failed": sum(1 for r in straight if r[3] != 200),
        "p99_router_ms": round(_p99(routed_ms), 2),
        "p99_direct_ms": round(_p99(straight_ms), 2),
        "p99_added_ms": round(_p99(routed_ms) - _p99(straight_ms), 2),
        "p50_added_ms": round(statistics.median(routed_ms) - statistics.median(straight_ms), 2),
        "deploys": len(switches),
        "rollbacks": len(rollbacks),
        "switch_ms": round(max(switches) * 1000, 1),
        "switch_median_ms": round(statistics.median(switches) * 1000, 1),
        "rollback_ms": round(max(rollbacks) * 1000, 1),
        "rollback_median_ms": round(statistics.median(rollbacks) * 1000, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(), sort_keys=True))
