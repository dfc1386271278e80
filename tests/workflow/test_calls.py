"""A job calling a reusable workflow, checked against the workflow it calls (check_call),
and ``conveyor validate`` doing it for local callees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conveyor.cli.main import main
from conveyor.workflow.calls import check_call, local_callee
from conveyor.workflow.yamlload import load_text

CALLEE = """
on:
  workflow_call:
    inputs:
      flag: {type: boolean, required: true}
      count: {type: number}
      label: {type: string}
    secrets:
      token: {required: true}
      extra:
jobs:
  a: {runs-on: x, steps: [{run: x}]}
"""


def _check(caller: str, callee: str = CALLEE, job: str = "call") -> list[tuple[int, int, str]]:
    caller_doc = load_text(textwrap.dedent(caller).lstrip("\n"), "caller.yml")
    callee_doc = load_text(textwrap.dedent(callee).lstrip("\n"), "callee.yml")
    found = check_call(caller_doc, job, callee_doc, name="./callee.yml")
    assert all(d.path == "caller.yml" for d in found)
    return [(d.line, d.col, d.rule) for d in found]


def test_matching_call_has_no_problems() -> None:
    assert (
        _check(
            """
            on: push
            jobs:
              call:
                uses: ./callee.yml
                with:
                  FLAG: true
                  count: 3.5
                  label: 42
                secrets:
                  token: ${{ secrets.T }}
            """
        )
        == []
    )


def test_callee_must_declare_workflow_call() -> None:
    caller = "on: push\njobs:\n  call:\n    uses: ./callee.yml\n"
    for callee in ("on: push\njobs: {}\n", "on: [push, pull_request]\njobs: {}\n", "jobs: {}\n"):
        assert _check(caller, callee) == [(4, 11, "call-workflow")]
    for callee in ("on: workflow_call\njobs: {}\n", "on: [push, workflow_call]\njobs: {}\n"):
        assert _check(caller, callee) == []


def test_unknown_and_missing_inputs() -> None:
    found = _check(
        """
        on: push
        jobs:
          call:
            uses: ./callee.yml
            with:
              flg: true
              count: 1
            secrets: inherit
        """
    )
    assert found == [(4, 11, "call-input"), (6, 7, "call-input")]


def test_literal_values_must_have_the_declared_type() -> None:
    found = _check(
        """
        on: push
        jobs:
          call:
            uses: ./callee.yml
            with:
              flag: not-a-boolean
              count: not-a-number
              label: [a]
            secrets: inherit
        """
    )
    assert found == [(6, 13, "call-input"), (7, 14, "call-input"), (8, 14, "call-input")]
    found = _check(
        """
        on: push
        jobs:
          call:
            uses: ./callee.yml
            with:
              flag: ${{ inputs.flag }}
              count: ${{ github.run_number }}
            secrets: inherit
        """
    )
    assert found == []


def test_secrets_must_be_declared_and_required_ones_given() -> None:
    found = _check(
        """
        on: push
        jobs:
          call:
            uses: ./callee.yml
            with: {flag: false}
            secrets:
              tokn: x
              extra: y
        """
    )
    assert found == [(4, 11, "call-secret"), (7, 7, "call-secret")]


def test_local_callee_paths() -> None:
    assert local_callee("./.github/workflows/x.yml", "/repo") == "/repo/.github/workflows/x.yml"
    assert local_callee("octo/repo/.github/workflows/x.yml@v1", "/repo") is None
    assert local_callee("./.github/workflows/${{ inputs.w }}.yml", "/repo") is None


def test_validate_checks_local_callees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "callee.yml").write_text(textwrap.dedent(CALLEE).lstrip("\n"))
    (folder / "plain.yml").write_text("on: push\njobs:\n  a: {runs-on: x, steps: [{run: x}]}\n")
    caller = folder / "caller.yml"
    caller.write_text(
        "on: push\n"
        "jobs:\n"
        "  one:\n"
        "    uses: ./.github/workflows/callee.yml\n"
        "    with: {flag: yes, nope: 1}\n"
        "    secrets: inherit\n"
        "  two:\n"
        "    uses: ./.github/workflows/plain.yml\n"
        "  three:\n"
        "    uses: ./.github/workflows/missing.yml\n"
    )
    code = main(["validate", str(caller)])
    out, _ = capsys.readouterr()
    assert code == 2
    assert out.splitlines() == [
        f"{caller}:5:18: input 'flag' of workflow './.github/workflows/callee.yml' is of type "
        "boolean: it must be a boolean (true or false); got the string 'yes' [call-input]",
        f"{caller}:5:23: input 'nope' is not defined by workflow "
        "'./.github/workflows/callee.yml'; it declares: flag, count, label [call-input]",
        f"{caller}:8:11: job 'two' calls workflow './.github/workflows/plain.yml', which does "
        "not declare 'on: workflow_call'; add it to the called workflow [call-workflow]",
    ]
