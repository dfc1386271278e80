from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from conveyor.diagnostics import Diagnostic
from conveyor.workflow import validate_paths


@pytest.fixture
def check(tmp_path: Path) -> Callable[..., list[Diagnostic]]:
    """Write YAML into a repo-like tmp folder and return every diagnostic for it."""

    def run(text: str, name: str = "wf.yml") -> list[Diagnostic]:
        folder = tmp_path / ".github" / "workflows"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return validate_paths([str(path)])

    return run
