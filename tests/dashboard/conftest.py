"""The dashboard's browser tests share one project and one server (module scope): making
the runs takes a while, and every test reads or changes different things."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_helpers import CHROMIUM, Site, fill_history, make_project, serving


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    repo = make_project(tmp_path_factory.mktemp("dashboard"))
    fill_history(repo)
    with serving(repo) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: object, site: Site) -> Iterator[object]:
    """A page with the reviewer's token saved, as a person would save it."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(site.url + "/")
    opened.fill("#token-input", site.token)
    opened.click("#token-form button[type=submit]")
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], f"script errors on the page: {errors}"
