"""conveyor/deploy@v1 with the static provider: the build goes to TEST, the verify step
(a real Playwright E2E in Chromium) runs against TEST's URL, and only then does APP
switch; a failed E2E leaves users on the old version; a rollback moves APP back."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from delivery_helpers import REPOSITORY_KEY, Project, make_project

from conveyor.actions import deploy_action, publish_action
from conveyor.cli.main import main
from conveyor.delivery.ports import Target
from conveyor.engine.ports import ActionResult
from conveyor.providers.static import StaticProvider, stop_sites
from conveyor.store.deliveries import LIVE, SMOKE_FAILED, DeliveryStore

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CONFIG = """
[environments.dev]

[apps.shop]
provider = "static"
spa = true
api-url = { dev = "http://api.dev.test/v1" }
"""
# The app renders its version and the API URL it was given; v-broken throws instead.
PAGE = """<html><head><title>shop</title></head><body><div id="app"></div>
<script>
const version = "{version}";
if (version === "v-broken") {{ throw new Error("boom"); }}
document.getElementById("app").textContent = version + " @ " + window.API_URL;
</script></body></html>"""
E2E = f"""
import os, sys
from playwright.sync_api import sync_playwright

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path={CHROMIUM!r}, args=["--no-sandbox"])
    page = browser.new_page()
    page.goto(os.environ["DEPLOY_URL"] + "/orders/42")  # a client-side route
    text = page.locator("#app").text_content(timeout=5000)
    browser.close()
print("rendered:", text)
sys.exit(0 if text and text.endswith("@ http://api.dev.test/v1") else 1)
"""

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs chromium")


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    monkeypatch.setenv("CONVEYOR_REPOSITORY", REPOSITORY_KEY)
    with make_project(tmp_path, monkeypatch, config=CONFIG) as project:
        (project.root / "e2e.py").write_text(textwrap.dedent(E2E))
        try:
            yield project
        finally:
            stop_sites(project.state_dir)


def _ship(project: Project, version: str) -> ActionResult:
    dist = project.root / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir()
    (dist / "index.html").write_text(PAGE.format(version=version))
    published = publish_action.run(
        project.context({"app": "shop", "path": "dist", "version": version}, job_key="build")
    )
    assert published.ok, project.output.text
    inputs = {"app": "shop", "version": version, "verify": f"{sys.executable} e2e.py"}
    return deploy_action.run(project.context(inputs, env={"CONVEYOR_ENVIRONMENT": "dev"}))


def _app_version(project: Project) -> str:
    url = StaticProvider(project.state_dir).endpoint(Target("shop", "dev", {}))
    assert url is not None
    return httpx.get(url).headers["X-Conveyor-Version"]


def _statuses(project: Project) -> list[tuple[str, str]]:
    with DeliveryStore(project.state_dir) as db:
        repo = db.run_repository(project.run_id)
        assert repo is not None
        return [(d.version, d.status) for d in db.deployments(repo, environment="dev", app="shop")]


def test_e2e_on_test_before_users_see_it(shop: Project, capsys: pytest.CaptureFixture[str]) -> None:
    first = _ship(shop, "v1")
    assert first.ok, shop.output.text
    assert "verify on the test endpoint" in shop.output.text
    assert "rendered: v1 @ http://api.dev.test/v1" in shop.output.text
    assert _app_version(shop) == "v1"
    assert first.outputs["url"] == StaticProvider(shop.state_dir).endpoint(
        Target("shop", "dev", {})
    )

    broken = _ship(shop, "v-broken")
    assert not broken.ok
    assert "verify failed before the switch" in broken.message
    assert "the alias stays on v1" in broken.message
    assert _app_version(shop) == "v1"  # users never saw it
    assert _statuses(shop)[0] == ("v-broken", SMOKE_FAILED)

    assert _ship(shop, "v2").ok, shop.output.text
    assert _app_version(shop) == "v2"
    state = ["--state-dir", str(shop.state_dir), "--config", str(shop.root / "conveyor.toml")]
    assert main(["rollback", "--app", "shop", "--env", "dev", *state]) == 0
    assert "v2 -> v1" in capsys.readouterr().out
    assert _app_version(shop) == "v1"
    assert _statuses(shop)[0] == ("v1", LIVE)
