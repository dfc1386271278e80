"""The dashboard in Chromium (Debian's, driven by Playwright), against `conveyor serve` in
its own process over a project whose runs `conveyor run` made: every page renders what
the history holds, live logs arrive, and the actions (approve, roll back, quarantine)
go through the API and show their effect."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from site_helpers import Site

Page = Any  # playwright.sync_api.Page
SEEN = "t => [...document.querySelectorAll('.line')].some(l => l.textContent.trim() === t)"


def _confirm(page: Page, comment: str = "") -> None:
    dialog = page.locator("dialog#confirm")
    dialog.wait_for(state="visible")
    if comment:
        page.fill("#confirm-comment", comment)
    page.click("#confirm-ok")


def test_runs_page_lists_and_filters_runs_with_durations_against_targets(
    page: Page, site: Site
) -> None:
    page.goto(site.url + "/")
    rows = page.locator("table.runs tbody tr")
    assert rows.count() == 3
    text = page.inner_text("table.runs")
    assert "PR validation" in text and "deliver dev" in text
    # PR validation has the 5 minute target of conveyor.toml's defaults
    ci_row = rows.filter(has_text="PR validation")
    assert "/ 5m 00s" in ci_row.inner_text()
    assert "failure" in ci_row.inner_text()
    page.fill("input[name=workflow]", "deliver dev")
    page.press("input[name=workflow]", "Enter")
    page.wait_for_url(re.compile(r"workflow=deliver\+dev"))
    assert page.locator("table.runs tbody tr").count() == 2
    page.goto(site.url + "/?status=failure&branch=main&event=push")
    assert page.locator("table.runs tbody tr").count() == 1


def test_run_page_shows_graph_steps_logs_annotations_and_summaries(page: Page, site: Site) -> None:
    page.goto(site.url + "/runs/1")
    graph = page.locator("svg.graph")
    assert graph.locator("path.edge").count() == 3  # build->test, build->package, test->package
    assert graph.locator("g.node").count() == 3  # the matrix jobs are one box
    assert "3.11" in (graph.text_content() or "") and "3.12" in (graph.text_content() or "")
    log = page.locator('pre.log[data-job="build (3.11)"][data-step="0"]')
    step = page.locator("details", has=log)
    step.locator(":scope > summary").click()
    assert step.evaluate("el => el.open")
    green = log.locator("span.c-green")
    assert green.text_content() == "compiled ok"
    group = log.locator("details.group")
    assert group.locator("summary").inner_text() == "Install tools"
    assert not group.evaluate("el => el.open")  # folded until opened
    group.locator("summary").click()
    assert "installing tools for 3.11" in group.inner_text()
    assert "compiled ok" not in group.inner_text()  # ::endgroup:: closed it
    summary = step.locator(".markdown")
    assert summary.locator("table").count() == 1
    assert summary.locator("script").count() == 0  # raw HTML is escaped
    assert "<script>alert(1)</script>" in summary.inner_text()
    link = page.locator("a.fileline", has_text="src/app.py:12").first
    assert link.is_visible()
    link.click()
    assert page.locator("details#job-3-step-0, details#job-4-step-0").first.is_visible()
    assert page.locator("button[data-action=rerun-failed]").count() == 1


def test_live_logs_arrive_while_the_run_writes_them(page: Page, site: Site) -> None:
    process = site.start_run("slow.yml")
    try:
        run_id = 0
        deadline = time.monotonic() + 30
        while not run_id and time.monotonic() < deadline:
            runs = site.api("/api/runs?workflow=slow")
            found = runs["runs"] if isinstance(runs, dict) else runs  # type: ignore[index]
            run_id = found[0]["id"] if found else 0
            time.sleep(0.2)
        assert run_id, "the slow run was not recorded"
        page.goto(f"{site.url}/runs/{run_id}")
        lines = page.locator(".line", has_text=re.compile(r"^tick \d+"))
        page.wait_for_function(SEEN, arg="tick 3", timeout=20000)
        early = lines.count()
        assert process.poll() is None, "the run ended before its lines were seen live"
        page.wait_for_function(SEEN, arg="tick 40", timeout=30000)
        assert lines.count() > early
        texts = [t.strip() for t in lines.all_inner_texts()]
        assert texts == [f"tick {i}" for i in range(1, 41)][: len(texts)]  # in order, once
    finally:
        process.wait(timeout=60)


def test_open_a_failed_test(page: Page, site: Site) -> None:
    page.goto(site.url + "/tests")
    tiers = page.inner_text("section[aria-label=tiers]")
    assert "unit" in tiers
    failure = page.locator("details.failure", has_text="test_broken")
    failure.locator("summary").click()
    assert "tests/test_app.py:41" in failure.inner_text()
    assert "AssertionError: expected 2 got 3" in failure.locator("pre.message").inner_text()
    slowest = page.locator("section[aria-label='slowest tests'] tbody tr").first
    assert "test_slow" in slowest.inner_text()


def test_quarantine_and_unquarantine_a_flaky_test(page: Page, site: Site) -> None:
    page.goto(site.url + "/tests")
    row = page.locator("tr[data-test='tests/test_app.py::test_flaky']")
    assert "100.0 %" in row.inner_text()  # flipped at every run
    row.locator("button[data-action=quarantine]").click()
    _confirm(page)
    page.wait_for_selector(
        "tr[data-test='tests/test_app.py::test_flaky'] button[data-action=unquarantine]"
    )
    flaky = site.api("/api/tests/flaky")
    assert "test_flaky" in str(flaky)
    page.locator(
        "tr[data-test='tests/test_app.py::test_flaky'] button[data-action=unquarantine]"
    ).click()
    _confirm(page)
    page.wait_for_selector(
        "tr[data-test='tests/test_app.py::test_flaky'] button[data-action=quarantine]"
    )


def test_approve_a_waiting_deployment_and_the_job_continues(page: Page, site: Site) -> None:
    process = site.start_run("release.yml")
    try:
        page.goto(site.url + "/environments")
        deadline = time.monotonic() + 30
        while page.locator(".approval button[data-action=approve]").count() == 0:
            assert time.monotonic() < deadline, "no approval appeared"
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.5)
            page.reload()
        card = page.locator(".approval").first
        assert "production" in card.inner_text()
        run_id = int(card.get_attribute("data-run") or 0)
        card.locator("button[data-action=approve]").click()
        _confirm(page, "ship it")
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        page.goto(f"{site.url}/runs/{run_id}")
        assert page.inner_text("#run-status") == "success"
        assert "released after approval" in page.inner_text(".job")
        decision = page.inner_text("ul.decisions")
        assert "approved" in decision and "alice" in decision and "ship it" in decision
        assert site.api("/api/approvals") == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_roll_back_a_deployment(page: Page, site: Site) -> None:
    page.goto(site.url + "/environments")
    card = page.locator("section.target[data-environment=dev][data-app=web]")
    live_before = card.locator(".live .version").inner_text()
    target = card.locator("select[name=version] option").first.get_attribute("value")
    assert target and target != live_before
    card.locator("button[data-action=rollback]").click()
    _confirm(page, "back to the first build")
    page.wait_for_function(
        "v => document.querySelector('section.target[data-environment=dev] .live .version')"
        "?.textContent === v",
        arg=target,
        timeout=60000,
    )
    history = page.inner_text("section.target[data-environment=dev] table")
    assert "rollback" in history and "back to the first build" in history
    deployments = httpx.get(
        site.url + "/api/deployments?environment=dev",
        headers={"Authorization": f"Bearer {site.token}"},
    ).json()
    assert deployments["live"][0]["version"] == target


def test_schedules_and_trends_pages(page: Page, site: Site) -> None:
    page.goto(site.url + "/schedules")
    text = page.inner_text("main")
    assert "30 2 * * *" in text and "Europe/Paris" in text
    assert re.search(r"\d{4}-\d\d-\d\d 0[01]:30 UTC", text)  # 02:30 in Paris
    assert re.search(r"\d{4}-\d\d-\d\d 02:30 CE[S]?T", text)
    page.goto(site.url + "/trends?days=7")
    charts = page.locator("figure.chart")
    assert charts.count() >= 5
    assert page.locator("svg line.target").count() >= 3  # targets drawn as lines
    assert "PR validation: duration p50 / p95" in page.inner_text("main")
    benchmarks = page.inner_text(".charts.benchmarks")
    assert "parse_workflow (ms, lower is better)" in benchmarks  # conveyor perf ingest


def test_pages_are_usable_at_phone_width_in_the_dark_by_keyboard(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    phone = context.new_page()
    try:
        for path in ("/", "/runs/1", "/tests", "/trends", "/environments", "/schedules"):
            phone.goto(site.url + path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 400, f"{path} scrolls sideways at phone width ({width}px)"
        background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(13, 17, 23)"
        phone.goto(site.url + "/")
        phone.keyboard.press("Tab")
        assert phone.evaluate("document.activeElement.textContent") == "Skip to content"
        phone.keyboard.press("Tab")
        phone.keyboard.press("Tab")
        assert phone.evaluate("document.activeElement.getAttribute('href')") == "/"
    finally:
        context.close()


def test_rerun_failed_jobs_then_cancel_a_rerun(page: Page, site: Site) -> None:
    before: Any = site.api("/api/runs/1")
    page.goto(site.url + "/runs/1")
    page.click("button[data-action=rerun-failed]")
    _confirm(page)
    deadline = time.monotonic() + 60
    detail: Any = site.api("/api/runs/1")
    while detail["run"]["attempt"] != 2 or detail["run"]["status"] != "completed":
        assert time.monotonic() < deadline, "the re-run did not finish"
        time.sleep(0.3)
        detail = site.api("/api/runs/1")
    # the run's second attempt: the jobs that succeeded are kept, the failed one ran again
    old = {job["job_key"]: job for job in before["jobs"]}
    new = {job["job_key"]: job for job in detail["jobs"]}
    assert new["test"]["started_at"] != old["test"]["started_at"]
    for key in ("build (3.11)", "build (3.12)"):
        assert new[key]["started_at"] == old[key]["started_at"], key
    page.wait_for_url(re.compile(r"/runs/1$"), timeout=30000)
    # a run the server runs can be cancelled from its page
    runs = site.api("/api/runs?workflow=slow")
    slow = (runs["runs"] if isinstance(runs, dict) else runs)[0]["id"]  # type: ignore[index]
    page.goto(f"{site.url}/runs/{slow}")
    page.click("button[data-action=rerun]")
    _confirm(page)
    page.wait_for_url(re.compile(rf"/runs/(?!{slow}$)\d+$"), timeout=30000)
    page.wait_for_function(SEEN, arg="tick 2", timeout=30000)
    page.click("button[data-action=cancel]")
    _confirm(page)
    page.wait_for_function(
        "() => document.getElementById('run-status')?.textContent === 'cancelled'",
        timeout=60000,
    )


def test_a_canary_in_progress_shows_its_weights_and_is_promoted(page: Page, site: Site) -> None:
    process = site.start_run("canary.yml")
    try:
        deadline = time.monotonic() + 120
        while True:  # until the deploy step pauses at 25 % for a human
            found = httpx.get(
                site.url + "/api/canaries?app=web&environment=dev",
                headers={"Authorization": f"Bearer {site.token}"},
                timeout=10,
            )
            if found.status_code == 200 and found.json()["canary"]["status"] == "paused":
                break
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, found.text
            time.sleep(0.3)
        canary = found.json()["canary"]
        page.goto(site.url + "/environments")
        card = page.locator("section.target[data-environment=dev][data-app=web] .canary")
        assert "paused" in card.inner_text() and canary["canary_version"] in card.inner_text()
        assert card.locator(".canary-weight").inner_text() == "25.0 %"
        assert "step 2 of 2" in card.inner_text()
        card.locator("button[data-action=canary-promote]").click()
        _confirm(page, "metrics look fine")
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0, out
        assert "promoted by alice: metrics look fine" in out  # the token's user decided
        after = httpx.get(
            site.url + "/api/canaries?app=web&environment=dev",
            headers={"Authorization": f"Bearer {site.token}"},
        ).json()["canary"]
        assert after["status"] == "promoted"
        live = site.api("/api/deployments?environment=dev&app=web")
        assert isinstance(live, dict)
        assert live["live"][0]["version"] == canary["canary_version"]
        page.reload()
        card = page.locator("section.target[data-environment=dev][data-app=web] .canary")
        assert "promoted" in card.inner_text()
        assert card.locator("button[data-action=canary-promote]").count() == 0
        # a canary that ended takes no more commands
        refused = httpx.post(
            site.url + f"/api/canaries/{canary['id']}/abort",
            headers={"Authorization": f"Bearer {site.token}"},
            json={"comment": "too late"},
        )
        assert refused.status_code == 409 and "not in progress" in refused.text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
