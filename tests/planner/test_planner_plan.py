"""plan_workflows over real workflow text: firing, order, matrices, runs-on, errors."""

from __future__ import annotations

from textwrap import dedent
from typing import Any

import msgspec
import pytest

from conveyor.errors import WorkflowInvalid
from conveyor.planner import Plan, WorkflowPlan, plan_workflows
from conveyor.planner import plan as plan_module
from conveyor.workflow import load_workflow_text


def plan(
    text: str,
    *,
    event: str = "push",
    payload: dict[str, Any] | None = None,
    inputs: dict[str, Any] | None = None,
) -> Plan:
    loaded = load_workflow_text(dedent(text), "wf.yml")
    assert not loaded.errors, [d.format() for d in loaded.errors]
    return plan_workflows([loaded], event=event, payload=payload, inputs=inputs)


def one(text: str, **kwargs: Any) -> WorkflowPlan:
    return plan(text, **kwargs).workflows[0]


CI = """
name: CI
on:
  push:
    branches: [main, 'releases/**', '!releases/**-alpha']
    tags: ['v*']
  pull_request:
    branches: [main]
jobs:
  deploy:
    needs: [test, build]
    runs-on: ubuntu-latest
    steps: [{run: echo deploy}]
  test:
    needs: build
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest]
        node: [18, 20]
        exclude: [{os: windows-latest, node: 18}]
        include: [{os: macos-latest, node: 20}]
    steps: [{run: echo test}]
  lint:
    runs-on: [self-hosted, linux]
    steps: [{run: echo lint}]
  build:
    name: Build ${{ github.ref_name }}
    runs-on: {group: big, labels: [x64]}
    steps: [{run: echo build}]
"""


def test_order_needs_and_matrix() -> None:
    wf = one(CI)
    assert wf.fires and wf.name == "CI" and wf.path == "wf.yml"
    assert [j.id for j in wf.jobs] == ["lint", "build", "test", "deploy"]
    test = wf.job("test")
    assert test.needs == ("build",)
    assert test.matrix == [
        {"os": "ubuntu-latest", "node": 18},
        {"os": "ubuntu-latest", "node": 20},
        {"os": "windows-latest", "node": 20},
        {"os": "macos-latest", "node": 20},
    ]
    assert test.runs_on == ["ubuntu-latest", "windows-latest", "macos-latest"]
    assert test.runs_on_by_combination == [
        ["ubuntu-latest"],
        ["ubuntu-latest"],
        ["windows-latest"],
        ["macos-latest"],
    ]
    assert wf.graph is not None and wf.graph.dependants["build"] == ("deploy", "test")


def test_runs_on_forms() -> None:
    wf = one(CI)
    assert wf.job("lint").runs_on == ["self-hosted", "linux"]
    assert wf.job("lint").matrix == []
    build = wf.job("build")
    assert build.runs_on == ["x64"] and build.runner_group == "big"
    assert build.name == "Build main"  # resolved from the github context
    assert wf.job("deploy").runs_on == ["ubuntu-latest"]


@pytest.mark.parametrize(
    ("event", "payload", "fires", "reason"),
    [
        ("push", None, True, ""),
        ("push", {"ref": "refs/heads/releases/1"}, True, ""),
        ("push", {"ref": "refs/heads/releases/1-alpha"}, False, "'branches'"),
        ("push", {"ref": "refs/heads/dev"}, False, "'branches'"),
        ("push", {"ref": "refs/tags/v1.0"}, True, ""),
        ("push", {"ref": "refs/tags/x1.0"}, False, "'tags'"),
        ("pull_request", None, True, ""),
        (
            "pull_request",
            {"action": "opened", "pull_request": {"base": {"ref": "dev"}}},
            False,
            "base",
        ),
        (
            "pull_request",
            {"action": "closed", "pull_request": {"base": {"ref": "main"}}},
            False,
            "closed",
        ),
        ("workflow_dispatch", None, False, "not one of its events"),
        ("schedule", None, False, "not one of its events"),
    ],
)
def test_event_firing(event: str, payload: dict[str, Any] | None, fires: bool, reason: str) -> None:
    wf = one(CI, event=event, payload=payload)
    assert wf.fires is fires
    assert reason in wf.reason
    if not fires:
        assert wf.jobs == []


def test_on_forms_and_other_events() -> None:
    text = """
    on: [push, workflow_dispatch]
    jobs:
      a: {runs-on: x, steps: [{run: a}]}
    """
    assert one(text).fires
    assert one(text, event="workflow_dispatch").fires
    assert not one(text, event="schedule").fires
    text = """
    on:
      release: {types: [published]}
      workflow_call:
    jobs:
      a: {runs-on: x, steps: [{run: a}]}
    """
    assert one(text, event="release", payload={"action": "published"}).fires
    assert not one(text, event="release", payload={"action": "created"}).fires
    assert not one(text).fires  # workflow_call/release never fire from push


def test_path_filters_are_reported_unknown() -> None:
    wf = one(
        """
        on: {push: {paths: ['src/**']}}
        jobs:
          a: {runs-on: x, steps: [{run: a}]}
        """
    )
    assert wf.fires and "unknown" in wf.reason


def test_dynamic_matrix_from_needs() -> None:
    wf = one(
        """
        on: push
        jobs:
          setup:
            runs-on: ubuntu-latest
            outputs: {matrix: '${{ steps.m.outputs.matrix }}'}
            steps: [{id: m, run: echo}]
          build:
            needs: setup
            runs-on: ${{ matrix.os }}
            strategy:
              matrix: ${{ fromJSON(needs.setup.outputs.matrix) }}
            steps: [{run: echo}]
        """
    )
    build = wf.job("build")
    assert build.dynamic_matrix and build.matrix is None
    assert "needs" in build.matrix_reason
    assert build.runs_on == ["${{ matrix.os }}"] and build.dynamic_runs_on
    assert build.to_json()["matrix"] is None


def test_static_fromjson_matrix_and_inputs() -> None:
    wf = one(
        """
        on:
          workflow_dispatch:
            inputs:
              versions: {type: string, default: '[1]'}
              big: {type: boolean}
        jobs:
          a:
            runs-on: ${{ inputs.big && 'large' || 'small' }}
            strategy:
              matrix:
                v: ${{ fromJSON(inputs.versions) }}
                w: ${{ fromJSON('["x","y"]') }}
            steps: [{run: echo}]
        """,
        event="workflow_dispatch",
        inputs={"versions": "[3, 4]", "big": "true"},
    )
    job = wf.job("a")
    assert job.matrix == [
        {"v": 3, "w": "x"},
        {"v": 3, "w": "y"},
        {"v": 4, "w": "x"},
        {"v": 4, "w": "y"},
    ]
    assert job.runs_on == ["large"]


def test_whole_matrix_static_expression() -> None:
    wf = one(
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            strategy:
              matrix: ${{ fromJSON('{"a":[1,2]}') }}
            steps: [{run: echo}]
        """
    )
    assert wf.job("a").matrix == [{"a": 1}, {"a": 2}]


def test_reusable_workflow_job() -> None:
    wf = one(
        """
        on: push
        jobs:
          call:
            uses: ./.github/workflows/other.yml
            with: {x: 1}
        """
    )
    job = wf.job("call")
    assert job.uses == "./.github/workflows/other.yml" and job.runs_on == []


def test_matrix_error_is_a_positioned_diagnostic() -> None:
    with pytest.raises(WorkflowInvalid) as info:
        plan(
            """
            on: push
            jobs:
              a:
                runs-on: x
                strategy:
                  matrix:
                    os: [a]
                    exclude: [{nope: 1}]
                steps: [{run: echo}]
            """
        )
    diags = info.value.diagnostics
    assert diags and diags[0].rule == "matrix" and diags[0].line > 1
    assert "does not match any key" in diags[0].message


def test_non_firing_workflows_are_listed_in_json() -> None:
    data = plan(CI, event="workflow_dispatch").to_json()
    assert data["workflows"][0]["fires"] is False
    assert data["workflows"][0]["jobs"] == []
    data = plan(CI).to_json()
    job = data["workflows"][0]["jobs"][2]
    assert set(job) >= {"id", "name", "needs", "matrix", "runs_on"}


def test_insert_and_sequence_expressions_in_a_matrix_are_planned() -> None:
    job = one(
        """
        on: workflow_dispatch
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [linux, '${{ fromJSON(inputs.more) }}']
                include:
                  - os: mac
                    ${{ insert }}: ${{ fromJSON(inputs.extra) }}
            steps: [{run: x}]
        """,
        event="workflow_dispatch",
        inputs={"more": '["mac", "bsd"]', "extra": '{"xcode": "16"}'},
    ).jobs[0]
    assert job.matrix == [{"os": "linux"}, {"os": "mac", "xcode": "16"}, {"os": "bsd"}]
    assert job.runs_on == ["linux", "mac", "bsd"]


def test_strategy_given_as_one_expression_is_planned() -> None:
    job = one(
        """
        on: workflow_dispatch
        jobs:
          test:
            runs-on: x
            strategy: ${{ fromJSON(inputs.strategy) }}
            steps: [{run: x}]
        """,
        event="workflow_dispatch",
        inputs={"strategy": '{"matrix": {"py": ["3.12", "3.13"]}}'},
    ).jobs[0]
    assert job.matrix == [{"py": "3.12"}, {"py": "3.13"}]


def test_every_plan_struct_is_frozen_and_carries_its_position() -> None:
    structs = [
        value
        for value in vars(plan_module).values()
        if isinstance(value, type)
        and issubclass(value, msgspec.Struct)
        and value.__module__ == plan_module.__name__
    ]
    assert len(structs) >= 8
    assert [s.__name__ for s in structs if not s.__struct_config__.frozen] == []
    workflow = one(CI)
    with pytest.raises(AttributeError):
        workflow.jobs = ()  # type: ignore[misc]
    build = next(j for j in workflow.jobs if j.id == "build")
    with pytest.raises(AttributeError):
        build.runs_on = []  # type: ignore[misc]
    assert str(build.source) == "wf.yml:28:5"  # its mapping, below "build:"
    assert str(build.where("runs-on")) == "wf.yml:29:5"
    assert str(build.steps[0].source) == "wf.yml:30:13"
