"""Loading: YAML 1.2 scalars, anchors, positions, LoadedWorkflow and discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.errors import UserError, WorkflowInvalid
from conveyor.workflow import (
    discover_workflows,
    is_action_file,
    load_action,
    load_workflow,
    load_workflow_text,
)
from conveyor.workflow.yamlload import load_text

WF = """\
on:
  push:
    branches: main
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      A: yes
      B: no
      C: on
      D: y
      E: true
      F: 3
    steps:
      - run: echo hi
"""


def test_yaml_12_booleans_are_strings() -> None:
    doc = load_text(WF)
    env = doc.data["jobs"]["build"]["env"]
    assert env == {"A": "yes", "B": "no", "C": "on", "D": "y", "E": True, "F": 3}
    assert "on" in doc.data


def test_positions_of_keys_and_values() -> None:
    doc = load_text(WF)
    assert doc.key(("jobs", "build", "runs-on")) == doc.key_pos[("jobs", "build", "runs-on")]
    assert (
        doc.key(("jobs", "build", "runs-on")).line,
        doc.key(("jobs", "build", "runs-on")).col,
    ) == (6, 5)
    pos = doc.pos(("jobs", "build", "steps", 0, "run"))
    assert (pos.line, pos.col) == (15, 14)


def test_anchors_and_aliases() -> None:
    text = """\
on: push
jobs:
  a:
    runs-on: x
    env: &shared
      K: v
    steps: [{run: x}]
  b:
    runs-on: x
    env: *shared
    steps: [{run: x}]
"""
    loaded = load_workflow_text(text, "wf.yml", root="/nonexistent")
    assert loaded.ok
    assert loaded.model is not None
    assert loaded.model.jobs["b"].env == {"K": "v"}


def test_loaded_workflow_keeps_model_and_document(tmp_path: Path) -> None:
    path = tmp_path / "ci.yml"
    path.write_text(WF)
    loaded = load_workflow(str(path))
    assert loaded.path == str(path)
    assert loaded.ok and loaded.diagnostics == []
    wf = loaded.require()
    assert wf.jobs["build"].runs_on == "ubuntu-latest"
    assert loaded.document.data["jobs"]["build"]["env"]["F"] == 3


def test_require_raises_with_every_error() -> None:
    loaded = load_workflow_text("on: push\njobs:\n  a: {steps: [{}]}\n", "x.yml", root="/")
    assert loaded.model is not None  # the schema is fine; the checks are not
    with pytest.raises(WorkflowInvalid) as info:
        loaded.require()
    assert len(info.value.diagnostics) == 2


def test_model_is_none_when_schema_fails() -> None:
    loaded = load_workflow_text("on: push\njobs: 3\n", "x.yml", root="/")
    assert loaded.model is None
    assert [d.rule for d in loaded.errors] == ["type"]


def test_non_specific_tag_and_multiline_plain_if() -> None:
    text = (
        "on: push\njobs:\n  a:\n    if: ! inputs.x\n    runs-on: x\n    steps:\n"
        "      - run: x\n        if:\n          github.ref == 'a'\n          || github.ref == 'b'\n"
    )
    loaded = load_workflow_text(text, "x.yml", root="/")
    assert loaded.ok, [d.format() for d in loaded.diagnostics]
    assert loaded.model is not None
    assert loaded.model.jobs["a"].if_ == "inputs.x"


def test_discover_workflows(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("x")
    (tmp_path / "a.yml").write_text("x")
    (tmp_path / "notes.md").write_text("x")
    assert discover_workflows(str(tmp_path)) == [str(tmp_path / "a.yml"), str(tmp_path / "b.yaml")]
    assert discover_workflows(str(tmp_path / "notes.md")) == [str(tmp_path / "notes.md")]
    with pytest.raises(UserError):
        discover_workflows(str(tmp_path / "missing"))


def test_action_files_are_recognised(tmp_path: Path) -> None:
    assert is_action_file("x/action.yml") and is_action_file("action.yaml")
    assert is_action_file("octo__repo__action__setup.yml")
    assert not is_action_file("ci.yml")
    path = tmp_path / "action.yml"
    path.write_text("name: n\nruns:\n  using: node20\n  main: index.js\n  post-if: always()\n")
    loaded = load_action(str(path))
    assert loaded.ok
    assert loaded.require().runs.using == "node20"
