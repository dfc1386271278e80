"""strategy: canary of conveyor/deploy@v1 with the process provider: real app processes
(tests/fixtures/deploy_app with its error-rate and delay knobs) behind the real router
under real load, the real history database, and `conveyor canary` run as a separate
process to promote or abort a canary that waits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from delivery_helpers import Project, make_project
from deploy_helpers import Webhook, app_config

from conveyor.actions import deploy_action, publish_action
from conveyor.cli.main import main
from conveyor.delivery.ports import Target
from conveyor.engine.ports import ActionResult
from conveyor.providers.process import ProcessProvider, stop_all
from conveyor.store.canaries import ABORTED, ABORTED_DEPLOYMENT, PAUSED, PROMOTED, CanaryStore
from conveyor.store.deliveries import LIVE, SUPERSEDED, Deployment

APP = Path(__file__).resolve().parents[1] / "fixtures" / "deploy_app" / "app.py"
ERRORS = {"name": "errors", "metric": "error-rate", "success": "< 0.05"}
LATENCY = {"name": "latency", "metric": "latency-p95", "baseline": True, "min-samples": 8}


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook().running() as hook:
        yield hook


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook) -> Iterator[Project]:
    config = app_config() + f'\n[notify.webhook]\nurl = "{webhook.url}"\n'
    monkeypatch.setenv("CONVEYOR_REPOSITORY", "github.com/acme/widgets")
    with make_project(tmp_path, monkeypatch, config=config) as project:
        try:
            yield project
        finally:
            stop_all(project.state_dir)


class Load:
    """A thread sending GET /version through the router, ~``rate`` a second."""

    def __init__(self, url: str, rate: float = 80) -> None:
        self.url, self.rate = url, rate
        self.answers: list[tuple[int, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                try:
                    answer = client.get(f"{self.url}/version")
                    self.answers.append((answer.status_code, answer.text))
                except httpx.HTTPError as exc:
                    self.answers.append((0, str(exc)))
                self.stop.wait(1 / self.rate)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(10)


def _publish(project: Project, version: str, **knobs: str) -> None:
    dist = project.root / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir()
    shutil.copy(APP, dist / "app.py")
    (dist / "VERSION").write_text(version)
    for name, value in knobs.items():
        (dist / name).write_text(value)
    result = publish_action.run(
        project.context({"app": "web", "path": "dist", "version": version}, job_key="build")
    )
    assert result.ok, project.output.text


def _deploy(project: Project, version: str, **inputs: str) -> ActionResult:
    context = project.context(
        {"app": "web", "version": version, **inputs}, env={"CONVEYOR_ENVIRONMENT": "dev"}
    )
    return deploy_action.run(context)


def _canary(project: Project, version: str, steps: Any, analysis: Any = None, **inputs: str
            ) -> ActionResult:  # fmt: skip
    given = {"strategy": "canary", "steps": json.dumps(steps), **inputs}
    if analysis is not None:
        given["analysis"] = json.dumps(analysis)
    return _deploy(project, version, **given)


def _url(project: Project) -> str:
    url = ProcessProvider(project.state_dir).endpoint(Target("web", "dev", {}))
    assert url is not None
    return url


def _history(project: Project) -> list[Deployment]:
    with CanaryStore(project.state_dir) as db:
        repo = db.run_repository(project.run_id)
        assert repo is not None
        return db.deployments(repo, environment="dev", app="web")


def _cli(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    """`conveyor canary ...` as a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "conveyor", "canary", *args, "--app", "web", "--env", "dev",
         "--state-dir", str(project.state_dir)],
        cwd=project.root, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "CONVEYOR_REPOSITORY": "github.com/acme/widgets"},
    )  # fmt: skip


def test_a_healthy_canary_is_promoted(shop: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _publish(shop, "v1", DELAY_MS="2")
    assert _deploy(shop, "v1").ok, shop.output.text
    _publish(shop, "v2", DELAY_MS="2")
    analysis = {"metrics": [ERRORS, LATENCY], "interval": "1s", "buckets": 5}
    with Load(_url(shop)) as load:
        result = _canary(
            shop, "v2", [{"weight": 50}, {"pause": "3s"}, {"weight": 100}], analysis,
            smoke="GET /version 200 v2",
        )  # fmt: skip
    assert result.ok, shop.output.text
    assert result.outputs["status"] == LIVE
    assert {body for status, body in load.answers} == {"v1", "v2"}
    assert all(status == 200 for status, _ in load.answers)
    assert httpx.get(f"{_url(shop)}/version").text == "v2"
    new, old = _history(shop)
    assert (new.version, new.status, old.status) == ("v2", LIVE, SUPERSEDED)
    with CanaryStore(shop.state_dir) as db:
        canary = db.latest_canary(None, "dev", "web")
        assert canary is not None and canary.status == PROMOTED and canary.weight == 100
        results = db.results(canary.id)
    assert {r.metric for r in results} == {"errors", "latency"}
    assert len(results) >= 4 and all(r.verdict == "pass" for r in results)
    latency = next(r for r in results if r.metric == "latency")
    assert latency.p_value is not None and latency.effect is not None
    assert main(["canary", "status", "--app", "web", "--env", "dev",
                 "--state-dir", str(shop.state_dir)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "promoted" in out and "latency" in out and "pass" in out


def test_a_failing_canary_is_aborted_recorded_and_announced(
    shop: Project, webhook: Webhook
) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2", ERROR_RATE="0.3")
    analysis = {"metrics": [ERRORS], "interval": "1s"}
    with Load(_url(shop)) as load:
        result = _canary(shop, "v2", [{"weight": 40}, {"pause": "20s"}, {"weight": 100}], analysis)
        after = len(load.answers)
        time.sleep(0.5)
    assert not result.ok
    assert "canary aborted: metric errors failed" in result.message
    assert "v1 keeps all the traffic" in result.message
    # the stable version never failed; after the abort everything is v1 again
    assert all(status == 200 for status, body in load.answers if "v1" in body)
    assert {body for _, body in load.answers[after:]} == {"v1"}
    aborted, live = _history(shop)
    assert (aborted.version, aborted.status) == ("v2", ABORTED_DEPLOYMENT)
    assert aborted.reason.startswith("canary aborted: metric errors failed")
    assert live.status == LIVE and live.version == "v1"
    with CanaryStore(shop.state_dir) as db:
        canary = db.latest_canary(None, "dev", "web")
        assert canary is not None
    assert canary.status == ABORTED and canary.weight == 0
    assert canary.verdict["metric"] == "errors" and canary.verdict["canary_value"] > 0.05
    assert canary.verdict["stable_value"] == 0
    (note,) = webhook.received
    assert note["event"] == "canary_aborted" and note["verdict"]["metric"] == "errors"
    assert note["canary"]["version"] == "v2" and note["stable"]["version"] == "v1"
    status = _cli(shop, "status", "--json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["status"] == ABORTED and shown["results"][-1]["verdict"] == "fail"


def _in_thread(work: Any) -> tuple[threading.Thread, list[ActionResult]]:
    out: list[ActionResult] = []
    thread = threading.Thread(target=lambda: out.append(work()), daemon=True)
    thread.start()
    return thread, out


def _wait_status(project: Project, wanted: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer = _cli(project, "status", "--json")
        if answer.returncode == 0:
            shown: dict[str, Any] = json.loads(answer.stdout)
            if shown["status"] == wanted:
                return shown
        assert time.monotonic() < deadline, answer.stdout + answer.stderr
        time.sleep(0.3)


def test_an_indefinite_pause_waits_for_promote_from_another_process(shop: Project) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2")
    thread, out = _in_thread(
        lambda: _canary(shop, "v2", [{"weight": 25}, {"pause": {}}, {"weight": 100}])
    )
    shown = _wait_status(shop, PAUSED)
    assert shown["weights"] == {"v2": 25, "v1": 75} and shown["step"] == 1
    assert "conveyor canary promote --app web --env dev" in shown["message"]
    promoted = _cli(shop, "promote", "--as", "alice")
    assert promoted.returncode == 0, promoted.stderr
    thread.join(60)
    (result,) = out
    assert result.ok, shop.output.text
    assert httpx.get(f"{_url(shop)}/version").text == "v2"
    assert "promoted by alice" in shop.output.text


def test_an_inconclusive_analysis_pauses_and_abort_from_another_process(shop: Project) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2")
    analysis = {
        "metrics": [{"name": "probe", "source": "command", "command": "exit 3",
                     "success": "< 1"}],
        "interval": "0.5s",
    }  # fmt: skip
    thread, out = _in_thread(
        lambda: _canary(shop, "v2", [{"weight": 10}, {"analysis": {"count": 3}}], analysis)
    )
    shown = _wait_status(shop, PAUSED)
    assert "analysis inconclusive (probe: no value" in shown["message"]
    assert shown["results"][0]["verdict"] == "inconclusive"
    aborted = _cli(shop, "abort", "--reason", "looks wrong", "--as", "bob")
    assert aborted.returncode == 0, aborted.stderr
    assert "is aborted" in aborted.stdout
    thread.join(60)
    (result,) = out
    assert not result.ok and "aborted by bob: looks wrong" in result.message
    assert httpx.get(f"{_url(shop)}/version").text == "v1"
    assert _cli(shop, "abort").returncode == 2  # nothing in progress any more


def test_bad_canary_inputs_deploy_nothing(shop: Project) -> None:
    _publish(shop, "v1")
    for steps, analysis, wanted in [
        ("Canary10PercentSoon", None, "unknown preset 'Canary10PercentSoon'"),
        ([{"weight": 120}], None, "steps[0].weight: Input should be less than or equal to 100"),
        ([{"weight": 10, "pause": "1m"}], None, "a step is one of weight:, pause: or analysis:"),
        ([{"analysis": {}}], None, "an analysis: step needs the deploy step's analysis: input"),
        ([{"weight": 10}], {"metrics": [{"name": "x", "metric": "error-rate"}]}, "say how"),
    ]:
        result = _canary(shop, "v1", steps, analysis)
        assert not result.ok and wanted in result.message, result.message
    assert _history(shop) == []


def test_abort_does_it_itself_when_the_deploy_step_is_gone(shop: Project) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2")
    thread, out = _in_thread(lambda: _canary(shop, "v2", [{"weight": 50}, {"pause": {}}]))
    shown = _wait_status(shop, PAUSED)
    gone = subprocess.Popen(["true"])
    gone.wait()
    with CanaryStore(shop.state_dir) as db:  # as if the step's process had died
        db.update_canary(shown["id"], owner_pid=gone.pid)
    aborted = _cli(shop, "abort", "--as", "carol", "--wait", "0")
    assert aborted.returncode == 0, aborted.stderr
    assert "is aborted (its deploy step was gone)" in aborted.stdout
    assert {httpx.get(f"{_url(shop)}/version").text for _ in range(20)} == {"v1"}
    thread.join(30)
    (result,) = out
    assert not result.ok and "was ended by another process: canary aborted" in result.message
    aborted_row, live = _history(shop)
    assert aborted_row.status == ABORTED_DEPLOYMENT and "aborted by carol" in aborted_row.reason
    assert live.version == "v1" and live.status == LIVE


def test_what_an_abort_stores_and_sends_is_masked(shop: Project, webhook: Webhook) -> None:
    secret = "s3cr3t-t0ken-value"
    shop.masker.add(secret)
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2")
    analysis = {
        "metrics": [{"name": f"probe-{secret}", "source": "command",
                     "command": "echo 0.5", "success": "< 0.1"}],
        "interval": "0.5s",
    }  # fmt: skip
    result = _canary(shop, "v2", [{"weight": 10}, {"analysis": {"count": 2}}], analysis)
    assert not result.ok and "canary aborted: metric probe-***" in result.message
    assert secret not in result.message
    with CanaryStore(shop.state_dir) as db:
        canary = db.latest_canary(None, "dev", "web")
        assert canary is not None
        results = db.results(canary.id)
    assert canary.status == ABORTED and canary.verdict["canary_value"] == 0.5
    stored = [canary.message, str(canary.verdict), *(r.metric + r.detail for r in results)]
    stored += [d.reason for d in _history(shop)]
    assert all(secret not in text for text in stored) and "***" in canary.message
    (note,) = webhook.received
    assert note["event"] == "canary_aborted" and secret not in json.dumps(note)
