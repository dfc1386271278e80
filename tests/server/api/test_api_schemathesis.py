"""Property-based test of the whole API from its own OpenAPI document (schemathesis):
generated valid and invalid requests, with a reviewer token (every route is reachable)
and without one, never get a 5xx, against a real ``conveyor serve`` with real runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import Api

pytestmark = pytest.mark.property
EXAMPLES = int(os.environ.get("CONVEYOR_API_EXAMPLES", "25"))


def _schemathesis(api: Api, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run",
        f"{api.url}/api/openapi.json",
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(EXAMPLES),
        "--seed", "20261205",
        "--workers", "1",
        "--request-timeout", "60",
        "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path),
        *extra,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=1500, check=False)


def test_no_request_makes_the_api_fail(api: Api, tmp_path: Path) -> None:
    done = _schemathesis(
        api, tmp_path, "--header", f"Authorization: Bearer {api.tokens['reviewer']}"
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    report = next(tmp_path.rglob("*.xml")).read_text(encoding="utf-8")
    assert 'failures="0"' in report and 'errors="0"' in report
    for operation in (
        "GET /api/runs/{run_id}/logs",
        "POST /api/repos/{name}/dispatch",
        "POST /api/runs/{run_id}/rerun",
        "POST /api/approvals/{run_id}/{environment}/{decision}",
        "POST /api/deployments/rollback",
        "POST /api/tests/quarantine",
    ):
        assert f'name="{operation}"' in report, operation


def test_no_request_without_a_token_gets_past_401(api: Api, tmp_path: Path) -> None:
    done = _schemathesis(api, tmp_path, "--checks", "not_a_server_error")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
