"""Step checks: run/uses, ids, shell, uses references, timeouts, local actions."""

from __future__ import annotations

from pathlib import Path

from wf_helpers import Check, at, message, rules

from conveyor.diagnostics import Severity
from conveyor.workflow import load_action_text


def test_run_and_uses(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - uses: actions/checkout@v4
                run: echo hi
        """
    )
    assert at(diags, "run-and-uses") == [(7, 9)]
    assert "split it into two steps" in message(diags, "run-and-uses")


def test_step_ids(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - id: build
                run: x
              - id: build
                run: y
              - id: has space
                run: z
          b:
            runs-on: x
            steps:
              - id: build
                run: x
        """
    )
    assert at(diags, "step-id") == [(8, 13), (10, 13)]
    assert "first used at line 6" in next(d.message for d in diags if d.line == 8)


def test_invalid_shell(check: Check) -> None:
    diags = check(
        """
        on: push
        defaults:
          run:
            shell: zsh
        jobs:
          a:
            runs-on: x
            steps:
              - run: x
                shell: fish
              - run: x
                shell: perl {0}
              - run: x
                shell: ${{ matrix.shell }}
        """
    )
    assert at(diags, "shell") == [(4, 12), (10, 16)]


def test_step_timeout(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - run: x
                timeout-minutes: 0
              - run: x
                timeout-minutes: ${{ inputs.t }}
        """
    )
    assert at(diags, "timeout-minutes") == [(7, 26)]


def test_uses_formats(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - uses: actions/checkout@v4
              - uses: actions/aws/ec2@main
              - uses: docker://alpine:3.20
              - uses: actions/checkout
              - uses: docker://
              - uses: not a reference
        """
    )
    assert at(diags, "uses") == [(9, 15), (10, 15), (11, 15)]
    assert "has no version; add '@ref'" in message(diags, "uses")


def test_local_action_missing_is_a_warning(check: Check, tmp_path: Path) -> None:
    action = tmp_path / ".github" / "actions" / "here"
    action.mkdir(parents=True)
    (action / "action.yml").write_text("name: x\nruns: {using: node20, main: i.js}\n")
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - uses: ./.github/actions/here
              - uses: ./.github/actions/missing
        """
    )
    assert at(diags, "local-action") == [(7, 15)]
    assert diags[0].severity is Severity.WARNING
    assert not any(d.is_error for d in diags)


def test_composite_run_step_needs_shell() -> None:
    text = """\
name: demo
description: d
runs:
  using: composite
  steps:
    - run: echo hi
    - run: echo hi
      shell: bash
"""
    loaded = load_action_text(text, "action.yml", root="/nonexistent")
    assert [(d.rule, d.line, d.col) for d in loaded.diagnostics] == [("required", 6, 7)]
    assert loaded.model is not None


def test_ok_workflow_has_no_diagnostics(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - id: go
                run: echo hi
                shell: bash
        """
    )
    assert rules(diags) == []
