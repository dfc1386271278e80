"""The typed model: every ``on`` form, expression-in-place values, and action metadata."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from conveyor.workflow import (
    ActionMetadata,
    CompositeRuns,
    Container,
    DockerRuns,
    Matrix,
    PushEvent,
    RunsOnGroup,
    ScheduleEvent,
    Workflow,
    WorkflowCallEvent,
)

JOBS: dict[str, Any] = {"a": {"runs-on": "x", "steps": [{"run": "x"}]}}


def wf(**data: Any) -> Workflow:
    return Workflow.model_validate({"jobs": JOBS, **data})


def test_events_from_every_on_form() -> None:
    assert wf(on="push").events() == {"push": None}
    assert wf(on=["push", "pull_request"]).events() == {"push": None, "pull_request": None}
    events = wf(
        on={
            "workflow_dispatch": None,
            "push": {"branches": "main", "tags-ignore": ["v*"]},
            "schedule": [{"cron": "0 0 * * *", "timezone": "Europe/Berlin"}],
            "workflow_call": {"inputs": {"x": {"type": "string"}}, "secrets": {"t": None}},
        }
    ).events()
    assert list(events) == ["workflow_dispatch", "push", "schedule", "workflow_call"]
    assert events["workflow_dispatch"] is None
    push = events["push"]
    assert isinstance(push, PushEvent) and push.branches == "main"
    sched = events["schedule"]
    assert isinstance(sched, ScheduleEvent) and sched.crons[0].timezone == "Europe/Berlin"
    assert isinstance(events["workflow_call"], WorkflowCallEvent)


def test_expressions_accepted_in_place_of_typed_values() -> None:
    job = {
        "runs-on": "${{ matrix.os }}",
        "continue-on-error": "${{ matrix.experimental }}",
        "timeout-minutes": "${{ inputs.t }}",
        "strategy": {
            "matrix": {"os": "${{ fromJSON(inputs.oses) }}", "include": "${{ fromJSON(x) }}"},
            "fail-fast": "${{ inputs.ff }}",
            "max-parallel": "${{ inputs.mp }}",
        },
        "steps": [{"run": "x", "continue-on-error": "${{ true }}", "timeout-minutes": 2.5}],
    }
    model = Workflow.model_validate({"on": "push", "jobs": {"a": job}})
    strategy = model.jobs["a"].strategy
    assert strategy is not None and isinstance(strategy.matrix, Matrix)
    assert strategy.matrix.vectors() == {"os": "${{ fromJSON(inputs.oses) }}"}


def test_non_expression_string_rejected_for_typed_value() -> None:
    with pytest.raises(ValidationError):
        Workflow.model_validate(
            {"on": "push", "jobs": {"a": {**JOBS["a"], "timeout-minutes": "5"}}}
        )


def test_job_forms() -> None:
    job = {
        "runs-on": {"group": "big", "labels": ["linux"]},
        "environment": {"name": "prod", "url": "${{ steps.d.outputs.url }}"},
        "container": {"image": "node:20", "options": "--cpus 1", "ports": [80, "443:443"]},
        "services": {"redis": {"image": "redis"}},
        "concurrency": {"group": "g", "cancel-in-progress": True},
        "permissions": {"contents": "read", "id-token": "write"},
        "defaults": {"run": {"shell": "bash", "working-directory": "src"}},
        "env": {"N": 1, "B": False, "E": None},
        "needs": "b",
        "if": True,
        "steps": [{"uses": "a/b@v1", "with": {"n": 3, "flag": True}}],
    }
    model = Workflow.model_validate(
        {"on": "push", "permissions": "read-all", "jobs": {"a": job, "b": JOBS["a"]}}
    )
    a = model.jobs["a"]
    assert isinstance(a.runs_on, RunsOnGroup)
    assert isinstance(a.container, Container)
    assert a.needs_list() == ["b"]
    call = Workflow.model_validate(
        {
            "on": "push",
            "jobs": {"c": {"uses": "o/r/.github/workflows/w.yml@v1", "secrets": "inherit"}},
        }
    )
    assert call.jobs["c"].is_reusable_call


def test_action_metadata_forms() -> None:
    composite = ActionMetadata.model_validate(
        {
            "name": "c",
            "inputs": {"v": {"description": "d", "required": False, "default": "1"}},
            "outputs": {"o": {"description": "d", "value": "${{ steps.s.outputs.o }}"}},
            "runs": {"using": "composite", "steps": [{"run": "x", "shell": "bash"}]},
            "branding": {"icon": "check", "color": "green"},
        }
    )
    assert isinstance(composite.runs, CompositeRuns)
    docker = ActionMetadata.model_validate(
        {"name": "d", "runs": {"using": "docker", "image": "Dockerfile", "args": ["a", 1]}}
    )
    assert isinstance(docker.runs, DockerRuns)
    with pytest.raises(ValidationError):
        ActionMetadata.model_validate({"name": "x", "runs": {"using": "node8", "main": "i.js"}})
