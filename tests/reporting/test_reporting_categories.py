"""Failure categories: the classification table, and alert rules."""

from __future__ import annotations

import pytest

from conveyor.reporting.categories import classify, exception_type
from conveyor.reporting.model import FailureItem, Report, TierTotals
from conveyor.reporting.rules import RuleError, parse_rule, triggered


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("ConnectionRefusedError: [Errno 111] Connection refused", "infrastructure"),
        ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='db')", "infrastructure"),
        ("socket.gaierror: [Errno -2] Name or service not known", "infrastructure"),
        ("RuntimeError: could not resolve host api.internal (DNS)", "infrastructure"),
        ("botocore.exceptions.NoCredentialsError: Unable to locate credentials", "infrastructure"),
        ("Exception: HTTP 401 Unauthorized", "infrastructure"),
        ("httpx.ConnectTimeout: timed out", "infrastructure"),
        ("Failed: Timeout >30.0s", "timeout"),
        ("TimeoutError: Lambda did not answer", "timeout"),
        ("RuntimeError: job timed out after 5 minutes", "timeout"),
        ("AssertionError: assert 1 == 2", "assertion"),
        ("assert response.status == 200", "assertion"),
        ("AssertionError: assert config.timeout == 30", "assertion"),  # type decides
        ("ModuleNotFoundError: No module named 'boto3'", "import"),
        ("ImportError: cannot import name 'x' from 'y'", "import"),
        ("collection failure\nE   ModuleNotFoundError: No module named 'foo'", "import"),
        ("KeyError: 'price'", "other"),
        ("ZeroDivisionError: division by zero", "other"),
        ("", "other"),
    ],
)
def test_classify(message: str, category: str) -> None:
    assert classify(message) == category


def test_exception_type_reads_the_traceback_lines() -> None:
    assert exception_type("boom\nE   pkg.mod.CustomError: bad") == "CustomError"
    assert exception_type("just words") is None


def _report() -> Report:
    def failure(tier: str, category: str, quarantined: bool = False) -> FailureItem:
        return FailureItem("t", "t", tier, "failed", "e", "", category, quarantined=quarantined)

    return Report(
        run_id=1,
        workflow="w",
        verdict="failed",
        conclusion="failure",
        started_at=None,
        duration=3900.0,
        environment={},
        tiers=[
            TierTotals("integration", passed=10, failed=3),
            TierTotals("smoke", passed=5),
            TierTotals("e2e", passed=1, failed=1, duration=50),
        ],
        failures=[
            failure("integration", "assertion"),
            failure("integration", "assertion"),
            failure("integration", "infrastructure"),
            failure("e2e", "timeout"),
            failure("smoke", "other", quarantined=True),
        ],
    )


@pytest.mark.parametrize(
    ("rule", "fires"),
    [
        ("integration failures >= 3", True),
        ("integration failures >= 4", False),
        ("any smoke failure", False),  # only a quarantined failure there
        ("any e2e timeout", True),
        ("any failure", True),
        ("any integration import", False),
        ("duration > 60m", True),
        ("duration > 2h", False),
        ("e2e duration >= 50s", True),
        ("failed == 4", True),
        ("Smoke passed != 5", False),
        ("unknown-tier failures > 0", False),
    ],
)
def test_alert_rules(rule: str, fires: bool) -> None:
    assert bool(triggered([parse_rule(rule)], _report())) is fires


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "empty alert rule"),
        ("integration failures >=", r"expected '\[TIER\] METRIC OP VALUE'"),
        ("integration speed > 3", "unknown metric 'speed'"),
        ("any smoke disaster", "unknown kind 'disaster'"),
        ("failures > many", "'many' is not a number"),
        ("duration > soon", "invalid duration 'soon'"),
    ],
)
def test_bad_rules_say_why(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule(rule)
