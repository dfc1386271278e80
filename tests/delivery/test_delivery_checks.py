"""The smoke/verify check lines, and commands run with $DEPLOY_URL."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from conveyor.delivery.checks import (
    CheckRun,
    CommandCheck,
    HttpCheck,
    parse_checks,
    run_checks,
)
from conveyor.delivery.ports import Probe, ProbeResult


def test_check_lines() -> None:
    checks = parse_checks(
        """
        # comments and blank lines are skipped

        GET /healthz
        GET /healthz 200 ok
        POST /orders 201
        HEAD / 204 text with spaces
        get /lower-case-is-a-command
        pytest tests/e2e -q
        """
    )
    assert checks == [
        HttpCheck(Probe("GET", "/healthz"), 200, ""),
        HttpCheck(Probe("GET", "/healthz"), 200, "ok"),
        HttpCheck(Probe("POST", "/orders"), 201, ""),
        HttpCheck(Probe("HEAD", "/"), 204, "text with spaces"),
        CommandCheck("get /lower-case-is-a-command"),
        CommandCheck("pytest tests/e2e -q"),
    ]


def _run(text: str, tmp_path: Path, answers: dict[str, ProbeResult]) -> tuple[str, list[str]]:
    lines: list[str] = []
    how = CheckRun(
        probe=lambda probe: answers[probe.path],
        url="http://127.0.0.1:9/app",
        env={"PATH": os.environ["PATH"]},
        cwd=tmp_path,
        log=lines.append,
        cancel=threading.Event(),
    )
    failure = run_checks(parse_checks(text), how)
    return (str(failure) if failure else ""), lines


def test_checks_stop_at_the_first_failure(tmp_path: Path) -> None:
    answers = {"/ok": ProbeResult(200, "all ok"), "/bad": ProbeResult(503, "down for now")}
    failure, lines = _run("GET /ok 200 ok\nGET /bad\necho never", tmp_path, answers)
    assert failure == "'GET /bad 200': status 503, expected 200: down for now"
    assert "check: echo never" not in lines
    failure, _ = _run("GET /ok 200 nope", tmp_path, answers)
    assert failure == "'GET /ok 200 nope': the body does not contain 'nope': 'all ok'"


def test_commands_get_deploy_url_and_fail_on_exit_code(tmp_path: Path) -> None:
    failure, lines = _run('echo "at $DEPLOY_URL"\ntest -n "$DEPLOY_URL"', tmp_path, {})
    assert failure == "" and "  at http://127.0.0.1:9/app" in lines
    failure, _ = _run("exit 3", tmp_path, {})
    assert failure == "'exit 3': exit code 3"
