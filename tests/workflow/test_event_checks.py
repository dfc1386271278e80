"""Checks on ``on:``: cron, glob, filter conflicts, workflow_call/dispatch inputs."""

from __future__ import annotations

import pytest
from wf_helpers import Check, at, message, rules

from conveyor.workflow.cron import CronError, check_cron

JOBS = "jobs:\n  a: {runs-on: x, steps: [{run: x}]}\n"


def test_cron_wrong_hour_points_at_the_field(check: Check) -> None:
    diags = check("on:\n  schedule:\n    - cron: '0 25 * * *'\n" + JOBS)
    assert at(diags, "cron") == [(3, 16)]
    assert message(diags, "cron") == "invalid cron '0 25 * * *': hour value 25 is out of range 0-23"


def test_cron_field_count_and_names(check: Check) -> None:
    diags = check(
        "on:\n  schedule:\n    - cron: 0 0 * *\n    - cron: '0 0 * JAN-MAR MON-FRI'\n" + JOBS
    )
    assert at(diags, "cron") == [(3, 13)]
    assert "exactly 5 fields" in message(diags, "cron")


@pytest.mark.parametrize(
    ("expr", "offset", "fragment"),
    [
        ("*/0 * * * *", 0, "step '/0'"),
        ("0 0 0 * *", 4, "day of month value 0"),
        ("0 0 * 13 *", 6, "month value 13"),
        ("0 0 * * 7", 8, "day of week value 7"),
        ("0 0 * FOO *", 6, "month value 'FOO'"),
        ("5-1 * * * *", 0, "runs backwards"),
        ("0,,5 * * * *", 2, "empty list item"),
        ("0 0 * * * *", 0, "got 6"),
        ("@daily", 0, "got 1"),
    ],
)
def test_cron_errors(expr: str, offset: int, fragment: str) -> None:
    with pytest.raises(CronError) as info:
        check_cron(expr)
    assert info.value.offset == offset
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "expr", ["0 0 * * *", "*/15 1-5 * JAN-MAR mon-fri", "0/5 * * * *", "1,2,3 0 1 * 0", "0 0 L * *"]
)
def test_cron_ok_or_croniter_decides(expr: str) -> None:
    if "L" in expr:
        with pytest.raises(CronError):
            check_cron(expr)
    else:
        check_cron(expr)


def test_schedule_timezone(check: Check) -> None:
    diags = check(
        "on:\n  schedule:\n    - cron: '0 0 * * *'\n      timezone: Europe/Berlin\n"
        "    - cron: '0 0 * * *'\n      timezone: Mars/Olympus\n" + JOBS
    )
    assert at(diags, "cron") == [(6, 17)]


def test_invalid_glob(check: Check) -> None:
    diags = check(
        """
        on:
          push:
            branches: ['release/[z-a]']
            paths:
              - 'docs/**'
              - "!src/[ab"
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert at(diags, "glob") == [(3, 26), (6, 15)]
    assert "invalid branches pattern 'release/[z-a]'" in message(diags, "glob")


def test_filter_conflict(check: Check) -> None:
    diags = check(
        """
        on:
          push:
            branches: [main]
            branches-ignore: [dev]
            tags: v*
          pull_request:
            paths: [a]
            paths-ignore: [b]
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert at(diags, "filter-conflict") == [(4, 5), (8, 5)]


def test_workflow_call_input_without_type(check: Check) -> None:
    diags = check(
        """
        on:
          workflow_call:
            inputs:
              good:
                type: string
              bad:
                required: true
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert at(diags, "workflow-call-input-type") == [(6, 7)]


def test_dispatch_choice(check: Check) -> None:
    diags = check(
        """
        on:
          workflow_dispatch:
            inputs:
              level:
                type: choice
              env:
                type: choice
                options: [dev, prod]
                default: staging
              ok:
                type: choice
                options: [a, b]
                default: a
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert at(diags, "dispatch-choice") == [(5, 15), (9, 18)]
    assert "no 'options'" in message(diags, "dispatch-choice")


def test_dispatch_input_types_accepted(check: Check) -> None:
    diags = check(
        """
        on:
          workflow_dispatch:
            inputs:
              s: {type: string, default: x}
              b: {type: boolean, default: true}
              n: {type: number, default: 3}
              e: {type: environment}
          workflow_run:
            workflows: [CI]
            types: [completed]
            branches: main
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert rules(diags) == []


def test_bad_dispatch_type(check: Check) -> None:
    diags = check("on:\n  workflow_dispatch:\n    inputs:\n      x: {type: text}\n" + JOBS)
    assert at(diags, "type") == [(4, 17)]
    assert "one of 'string', 'boolean', 'number', 'choice' or 'environment'" in message(
        diags, "type"
    )
