"""The dashboard over 100,000 runs in PostgreSQL: each page's server time, the first
render in Chromium, and how soon a log line a step writes appears on the run's page.

* Data: bench_store_queries' history (100,000 runs x 10 jobs over a year in four
  repositories, 1,000,000 test results, by COPY), plus actors on the runs, 3,000 log
  lines of the newest run, 600 deployments of two apps in three environments with
  rollbacks, approvals waiting, and a workspace with ten scheduled workflows (bulk
  inserts with SQLAlchemy core).
* Server time: `conveyor serve` in its own process; every page (and the runs page with
  each filter) is fetched 40 times after 5 warm-ups; the p95 of the server's own
  ``Server-Timing: app;dur=`` and of the whole request as the client saw it.
* First render: Debian's Chromium through Playwright, each page opened 5 times in a
  fresh browser context: first-contentful-paint and the load event (max of the 5).
* Live logs: `conveyor run` (against the same database) runs a step that prints its own
  time every 100 ms; the run's page, opened while it runs, notes when each line is
  added to the page: latency = arrival - the time printed (same clock).

PostgreSQL: ``$CONVEYOR_BENCH_POSTGRES_URL``, else postgres@127.0.0.1:5432; skipped when
unreachable. Chromium: /usr/bin/chromium (skipped when missing).
"""

from __future__ import annotations

import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text

from bench_store_queries import _fill_postgres, _postgres_database
from conveyor.results.db import ResultsDb
from conveyor.store.delivery_models import ApprovalRow, DeploymentRow
from conveyor.store.models import LogLineRow

CONVEYOR = str(Path(sys.executable).parent / "conveyor")
CHROMIUM = "/usr/bin/chromium"
REQUESTS, WARMUP, LOADS = 40, 5, 5
ACTORS = ("alice", "bob", "carol", "dan", "erin")
DAY = 86400.0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)


def _extra(url: str, state: Path, now: float) -> int:
    """Actors, the newest run's log lines, deployments and approvals; the newest run's id."""
    rng = random.Random(7)
    with ResultsDb(state, url) as db, db.writer.begin() as connection:
        connection.execute(
            text("UPDATE runs SET actor = (ARRAY['alice','bob','carol','dan','erin'])[1 + id % 5]")
        )
        newest = int(connection.execute(text("SELECT max(id) FROM runs")).scalar_one())
        lines = []
        for seq in range(1, 3001):
            body = (
                f"\u25b8 group {seq // 100}" if seq % 100 == 1
                else f"\x1b[3{seq % 8}mline {seq}\x1b[0m of the build output, a typical length"
            )  # fmt: skip
            lines.append({"run_id": newest, "job_key": f"job{seq % 10} (3.1{seq % 10 % 3})",
                          "step_index": 0, "seq": seq, "at": now, "stream": "stdout",
                          "text": body})  # fmt: skip
        connection.execute(insert(LogLineRow), lines)
        deployments = []
        started = now - 90 * DAY
        for index in range(600):
            app, environment = (
                ("web", "api")[index % 2],
                ("dev", "staging", "production")[index % 3],
            )
            at = started + index * (90 * DAY / 600)
            rollback = rng.random() < 0.05
            deployments.append({
                "repository_id": 1, "app": app, "environment": environment,
                "version": f"v{index // 6}", "digest": f"sha256:{rng.getrandbits(256):064x}",
                "provider": "process", "provider_version": str(index), "previous_version": "",
                "run_id": 1 + index * 100, "job_key": "deploy",
                "action": "rollback" if rollback else "deploy",
                "status": "live" if index >= 594 else ("rolled_back" if rollback else "superseded"),
                "reason": "", "schema_revision": "", "approvals": [{"decided_by": "alice"}],
                "rollback_on": [], "started_at": at, "switched_at": at + 30, "ended_at": at + 40,
            })  # fmt: skip
        connection.execute(insert(DeploymentRow), deployments)
        waiting = [newest - i for i in range(3)]
        connection.execute(
            text("UPDATE runs SET status = 'waiting', conclusion = NULL WHERE id = ANY(:ids)"),
            {"ids": waiting},
        )
        connection.execute(
            insert(ApprovalRow),
            [{"run_id": r, "job_key": "deploy", "environment": "production", "status": "waiting",
              "reviewers": ["alice"], "requested_by": "bob", "requested_at": now - 600,
              "comment": ""} for r in waiting],
        )  # fmt: skip
        connection.execute(text("ANALYZE"))
    return newest


def _workspace(root: Path) -> Path:
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    for index in range(10):
        zone = ("", "\n      timezone: Europe/Paris", "\n      timezone: America/New_York")[
            index % 3
        ]
        (folder / f"sched{index}.yml").write_text(
            f"name: scheduled {index}\non:\n  schedule:\n    - cron: '{index} 3 * * *'{zone}\n"
            "jobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
        )
    (folder / "live.yml").write_text(
        textwrap.dedent(
            """
            name: live logs
            on: workflow_dispatch
            jobs:
              print:
                runs-on: ubuntu-latest
                steps:
                  - name: Print the time
                    run: |
                      sleep 4
                      python3 -c "
                      import time
                      for _ in range(150):
                          print(f'at {time.time():.3f}', flush=True)
                          time.sleep(0.1)
                      "
            """
        ).lstrip()
    )
    commit = ["-c", "user.name=b", "-c", "user.email=b@e", "commit", "-qm", "bench"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], commit):
        subprocess.run(["git", *args], cwd=root, check=True)
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
    env["CONVEYOR_DATABASE_URL"] = url
    return env


def _server_times(base: str, paths: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, path in paths.items():
            server, wall, first = [], [], 0.0
            for index in range(WARMUP + REQUESTS):
                began = time.perf_counter()
                answer = client.get(path)
                spent = (time.perf_counter() - began) * 1000
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                timing = float(answer.headers["server-timing"].split("dur=")[1])
                if index == 0:
                    first = timing
                if index >= WARMUP:
                    server.append(timing)
                    wall.append(spent)
            found[name] = {
                "server_p95_ms": _p95(server),
                "request_p95_ms": _p95(wall),
                "first_server_ms": round(first, 1),
                "bytes": len(answer.content),
            }
    return found


def _first_render(base: str, paths: dict[str, str]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    found: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for name, path in paths.items():
                paints, loads = [], []
                for _ in range(LOADS):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    page.goto(base + path, wait_until="load")
                    paint = page.evaluate(
                        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
                    )
                    load = page.evaluate(
                        "performance.getEntriesByType('navigation')[0].loadEventEnd"
                    )
                    paints.append(float(paint))
                    loads.append(float(load))
                    context.close()
                found[name] = {
                    "fcp_max_ms": round(max(paints), 1),
                    "load_max_ms": round(max(loads), 1),
                }
        finally:
            browser.close()
    return found


def _live_latency(base: str, workspace: Path, url: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    token = subprocess.run(
        [CONVEYOR, "tokens", "create", "--user", "bench", "--scope", "read"],
        cwd=workspace, env=_env(url), capture_output=True, text=True, check=True,
    ).stdout.split()[0]  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(base + "/")
        page.evaluate("t => localStorage.setItem('conveyor.token', t)", token)
        page.add_init_script(
            """
            // kept in sessionStorage: the page reloads itself when the run ends
            window.__arrivals = JSON.parse(sessionStorage.getItem("arrivals") || "[]");
            new MutationObserver((records) => {
              const now = Date.now() / 1000;
              for (const r of records) for (const n of r.addedNodes) {
                const m = /^at (\\d+\\.\\d+)/.exec(n.textContent || "");
                const run = document.getElementById("run");
                const opened = run ? Number(run.dataset.lastSeq) : Infinity;
                if (m && n.classList && n.classList.contains("line")
                    && Number(n.dataset.seq) > opened) {
                  window.__arrivals.push([Number(m[1]), now]);
                  sessionStorage.setItem("arrivals", JSON.stringify(window.__arrivals));
                }
              }
            }).observe(document, {subtree: true, childList: true});
            """
        )
        run = subprocess.Popen(
            [CONVEYOR, "run", "-W", ".github/workflows/live.yml", "--event", "workflow_dispatch"],
            cwd=workspace, env=_env(url), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            run_id = 0
            deadline = time.monotonic() + 60
            while not run_id:
                assert time.monotonic() < deadline, "the live run was not recorded"
                answer = httpx.get(
                    f"{base}/api/runs?workflow=live logs&status=in_progress&limit=1",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                runs = answer.json().get("runs", [])
                run_id = runs[0]["id"] if runs else 0
                time.sleep(0.05)
            page.goto(f"{base}/runs/{run_id}")
            run.wait(timeout=180)
            page.wait_for_timeout(1500)
            arrivals = page.evaluate("window.__arrivals")
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
            browser.close()
    # only lines that arrived after the page opened (the rest came with the page)
    live = [(seen - written) * 1000 for written, seen in arrivals]
    if not live:
        return {"error": "no line arrived while the run wrote it"}
    return {
        "lines_seen_live": len(live),
        "latency_p50_ms": round(sorted(live)[len(live) // 2], 1),
        "latency_p95_ms": _p95(live),
        "latency_max_ms": round(max(live), 1),
    }


@contextmanager
def _database() -> Iterator[str | None]:
    """A scratch database (dropped after), or ``$CONVEYOR_BENCH_DASHBOARD_URL`` (kept, and
    filled only when empty: for measuring again after a change)."""
    kept = os.environ.get("CONVEYOR_BENCH_DASHBOARD_URL")
    if kept:
        yield kept
        return
    with _postgres_database() as url:
        yield url


def _filled(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT count(*) FROM runs")).scalar())
    except Exception:  # no schema yet
        return False
    finally:
        engine.dispose()


def main() -> dict[str, Any]:
    result: dict[str, Any] = {"runs": 100_000}
    with tempfile.TemporaryDirectory() as tmp, _database() as url:
        if url is None:
            return {"skipped": "no PostgreSQL"}
        state = Path(tmp) / "state"
        now = time.time()
        began = time.perf_counter()
        if not _filled(url):
            with ResultsDb(state, url) as db:
                _fill_postgres(db, now)
            _extra(url, state, now)
        with ResultsDb(state, url) as db, db.engine.connect() as connection:
            seeded = text("SELECT max(run_id) FROM log_lines WHERE run_id <= 100000")
            newest = int(connection.execute(seeded).scalar_one())
        result["fill_seconds"] = round(time.perf_counter() - began, 1)
        workspace = _workspace(Path(tmp) / "workspace")
        port = _free_port()
        server = subprocess.Popen(
            [CONVEYOR, "serve", "--host", "127.0.0.1", "--port", str(port), "--state-dir",
             str(state)],
            cwd=workspace, env=_env(url), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
                assert time.monotonic() < deadline and server.poll() is None, "no server"
            pages = {
                "runs": "/",
                "runs_workflow": "/?workflow=Nightly",
                "runs_actor": "/?actor=bob",
                "runs_failed_main_push": "/?status=failure&branch=main&event=push",
                "runs_repository_page_2": f"/?repository=lib&before={newest - 5000}",
                "run_3000_lines": f"/runs/{newest}",
                "run_old": "/runs/1234",
                "tests_7d": "/tests",
                "tests_30d": "/tests?days=30",
                "trends_7d": "/trends?days=7",
                "trends_30d": "/trends?days=30",
                "trends_90d": "/trends?days=90",
                "environments": "/environments",
                "schedules": "/schedules",
            }
            result["server"] = _server_times(base, pages)
            if Path(CHROMIUM).exists():
                shown = {k: v for k, v in pages.items() if k in (
                    "runs", "run_3000_lines", "tests_7d", "trends_90d", "environments",
                    "schedules")}  # fmt: skip
                result["chromium"] = _first_render(base, shown)
                result["live_logs"] = _live_latency(base, workspace, url)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
