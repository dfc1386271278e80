"""Smoke and verify checks of a deployment: HTTP requests with an expected status and
body, or shell commands that get the address of what they check in ``$DEPLOY_URL``.

One check per line of ``smoke:`` / ``verify:``::

    GET /health                  # status 200
    GET /health 200 ok           # status 200 and "ok" somewhere in the body
    POST /orders 201             # GET HEAD POST PUT PATCH DELETE OPTIONS
    pytest tests/e2e -q          # anything else is a command (bash -e, else sh -e)

HTTP checks go through the provider (:meth:`Provider.probe`), so they reach a staged
version directly, however the provider exposes it (a port, a Lambda invocation).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from conveyor.delivery.ports import Probe, ProbeResult
from conveyor.runners.process import Limits, run_process
from conveyor.runners.shells import which

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_HTTP = re.compile(rf"^({'|'.join(METHODS)})\s+(/\S*)(?:\s+(\d{{3}}))?(?:\s+(.+))?$")
_BODY_SHOWN = 200


@dataclass(frozen=True, slots=True)
class HttpCheck:
    probe: Probe
    status: int = 200
    contains: str = ""

    def describe(self) -> str:
        expect = f" {self.status}" + (f" {self.contains}" if self.contains else "")
        return f"{self.probe.method} {self.probe.path}{expect}"


@dataclass(frozen=True, slots=True)
class CommandCheck:
    command: str

    def describe(self) -> str:
        return self.command


Check = HttpCheck | CommandCheck


@dataclass(frozen=True, slots=True)
class CheckFailure:
    check: Check
    reason: str

    def __str__(self) -> str:
        return f"'{self.check.describe()}': {self.reason}"


def parse_checks(text: str, *, timeout: float = 10.0) -> list[Check]:
    """The checks of a ``smoke:``/``verify:`` input, one per non-empty line (``#`` starts
    a comment line)."""
    checks: list[Check] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = _HTTP.match(line)
        if found:
            method, path, status, contains = found.groups()
            probe = Probe(method=method, path=path, timeout=timeout)
            checks.append(HttpCheck(probe, int(status or 200), (contains or "").strip()))
        else:
            checks.append(CommandCheck(line))
    return checks


@dataclass(frozen=True, slots=True)
class CheckRun:
    """Where and how the checks run: ``probe`` sends an HTTP check to the version under
    test, ``url`` is its address for commands (``$DEPLOY_URL``)."""

    probe: Callable[[Probe], ProbeResult]
    url: str
    env: Mapping[str, str]
    cwd: Path
    log: Callable[[str], None]
    cancel: threading.Event
    command_timeout: float = 600.0


def run_checks(checks: Sequence[Check], how: CheckRun) -> CheckFailure | None:
    """Run ``checks`` in order; the first failure (the rest are not run), or None."""
    for check in checks:
        if how.cancel.is_set():
            return CheckFailure(check, "cancelled")
        how.log(f"check: {check.describe()}")
        failure = _http(check, how) if isinstance(check, HttpCheck) else _command(check, how)
        if failure is not None:
            how.log(f"  failed: {failure.reason}")
            return failure
        how.log("  passed")
    return None


def _http(check: HttpCheck, how: CheckRun) -> CheckFailure | None:
    try:
        result = how.probe(check.probe)
    except Exception as exc:  # a provider's error, whatever it is, fails the check
        return CheckFailure(check, f"no answer: {exc}")
    body = result.body
    if result.status != check.status:
        shown = body[:_BODY_SHOWN].strip()
        return CheckFailure(
            check, f"status {result.status}, expected {check.status}" + (f": {shown}" * bool(shown))
        )
    if check.contains and check.contains not in body:
        shown = body[:_BODY_SHOWN].strip()
        return CheckFailure(check, f"the body does not contain {check.contains!r}: {shown!r}")
    return None


def _command(check: CommandCheck, how: CheckRun) -> CheckFailure | None:
    env = {**how.env, "DEPLOY_URL": how.url}
    shell = which("bash", env.get("PATH", os.defpath))
    argv = [shell, "-e", "-c", check.command] if shell else ["sh", "-e", "-c", check.command]
    try:
        outcome = run_process(
            argv,
            cwd=how.cwd,
            env=env,
            feed=lambda line, _stream: how.log(f"  {line}"),
            cancel=how.cancel,
            limits=Limits(timeout=how.command_timeout),
        )
    except OSError as exc:
        return CheckFailure(check, f"could not start: {exc}")
    if outcome.timed_out:
        return CheckFailure(check, f"timed out after {how.command_timeout:g}s")
    if outcome.cancelled:
        return CheckFailure(check, "cancelled")
    if outcome.exit_code != 0:
        return CheckFailure(check, f"exit code {outcome.exit_code}")
    return None
