"""`make screenshots`: docs/screenshots/*.png of every dashboard page, taken in Chromium
from `conveyor serve` over a project whose runs `conveyor run` made (site_helpers), plus
30 days of seeded history so the trends have something to draw, and a release waiting
for its approval.

Usage: python tests/dashboard/make_screenshots.py [OUT_DIR] (default docs/screenshots).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_helpers import CHROMIUM, fill_history, make_project, serving
from sqlalchemy import insert

from conveyor.results.db import ResultsDb
from conveyor.store.models import RunRow
from conveyor.store.results_models import INGESTS, RESULTS

DAY = 86400.0
PAGES = {
    "runs": "/",
    "run": "/runs/1",
    "tests": "/tests?days=30",
    "trends": "/trends?days=30",
    "environments": "/environments",
    "schedules": "/schedules",
}


def seed_history(state: Path) -> None:
    """30 days of finished runs and test results (bulk inserts), older than the real ones."""
    rng = random.Random(14)
    now = time.time()
    with ResultsDb(state) as db:
        repository_id = db.repository_id("github.com/acme/shop", "acme/shop")
    runs, ingests, results = [], [], []
    for index in range(600):
        created = now - 30 * DAY + index * (30 * DAY / 600) - 3600
        workflow = ("PR validation", "nightly", "post-merge")[index % 3]
        base = {"PR validation": 200, "nightly": 5400, "post-merge": 1200}[workflow]
        duration = base * rng.uniform(0.6, 1.4)
        ok = rng.random() < 0.93
        runs.append({
            "id": 1000 + index, "repository_id": repository_id, "run_number": 1000 + index,
            "workflow_path": f".github/workflows/{workflow.replace(' ', '-')}.yml",
            "workflow_name": workflow, "event": "push", "ref": "refs/heads/main",
            "sha": f"{rng.getrandbits(160):040x}", "repository": "acme/shop",
            "actor": rng.choice(("alice", "bob", "carol")), "status": "completed",
            "conclusion": "success" if ok else "failure", "created_at": created,
            "started_at": created, "ended_at": created + duration, "duration": duration,
        })  # fmt: skip
        if index % 3:
            continue
        ingests.append({"id": 1000 + index, "repository_id": repository_id,
                        "created_at": created, "tier": ("unit", "integration")[index % 2],
                        "run_id": 1000 + index, "total": 20})  # fmt: skip
        for k in range(20):
            status = "passed"
            if rng.random() < 0.04:
                status = "failed"
            elif k == 3 and rng.random() < 0.3:
                status = "flaky"
            message = "" if status == "passed" else rng.choice((
                "AssertionError: assert 2 == 3", "TimeoutError: timed out after 30s",
                "ConnectionRefusedError: [Errno 111] Connection refused",
                "ModuleNotFoundError: No module named 'yaml'"))  # fmt: skip
            results.append({
                "ingest_id": 1000 + index, "repository_id": repository_id,
                "recorded_at": created, "tier": ("unit", "integration")[index % 2],
                "run_id": 1000 + index, "test_id": f"tests/test_shop.py::test_{k}",
                "name": f"test_{k}", "file": "tests/test_shop.py", "line": 10 + k,
                "duration": rng.uniform(0.01, 2.0), "status": status, "message": message,
            })  # fmt: skip
    with ResultsDb(state) as db, db.writer.begin() as connection:
        connection.execute(insert(RunRow), runs)
        connection.execute(insert(INGESTS), ingests)
        connection.execute(insert(RESULTS), results)


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_project(Path(tmp))
        fill_history(repo)
        seed_history(repo / ".conveyor")
        with serving(repo) as site:
            waiting = site.start_run("release.yml")
            try:
                deadline = time.monotonic() + 30
                while not site.api("/api/approvals") and time.monotonic() < deadline:
                    time.sleep(0.3)
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, args=["--no-sandbox"]
                    )
                    for scheme in ("light", "dark"):
                        context = browser.new_context(
                            viewport={"width": 1280, "height": 900}, color_scheme=scheme
                        )
                        page = context.new_page()
                        for name, path in PAGES.items():
                            if scheme == "dark" and name not in ("run", "trends"):
                                continue
                            page.goto(site.url + path)
                            if name == "run":
                                page.locator("details:has(.markdown) > summary").first.click()
                            page.wait_for_timeout(300)
                            suffix = "" if scheme == "light" else "-dark"
                            page.screenshot(path=str(out / f"{name}{suffix}.png"), full_page=True)
                        context.close()
                    phone = browser.new_context(viewport={"width": 390, "height": 844})
                    page = phone.new_page()
                    page.goto(site.url + "/")
                    page.screenshot(path=str(out / "runs-phone.png"))
                    browser.close()
            finally:
                waiting.kill()
                waiting.wait()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
