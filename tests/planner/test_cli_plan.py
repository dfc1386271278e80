"""`conveyor plan` end to end, in-process through conveyor.cli.main.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conveyor.cli.main import main

CI = """\
name: CI
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest]
        py: ['3.11', '3.12']
    steps: [{run: echo test}]
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps: [{run: echo deploy}]
"""

RELEASE = """\
on:
  push:
    tags: ['v*']
  workflow_dispatch:
    inputs:
      target: {type: string, default: prod}
jobs:
  publish:
    name: publish to ${{ inputs.target }}
    runs-on: [self-hosted, '${{ inputs.target }}']
    steps: [{run: echo}]
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(CI)
    (workflows / "release.yml").write_text(RELEASE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_text_default_push(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert "ci.yml (CI): fires" in out
    assert "release.yml: does not fire (only tag filters are defined" in out
    assert out.index("- test") < out.index("- deploy")
    assert "needs: test" in out
    assert "{os: windows-latest, py: 3.12}  -> windows-latest" in out
    assert "4 combination(s)" in out
    assert "1 of 2 workflow(s) fire" in out


def test_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ci, release = data["workflows"]
    assert ci["path"].endswith("ci.yml") and ci["name"] == "CI" and ci["fires"] is True
    assert [j["id"] for j in ci["jobs"]] == ["test", "deploy"]
    test, deploy = ci["jobs"]
    assert test["matrix"][0] == {"os": "ubuntu-latest", "py": "3.11"}
    assert test["runs_on"] == ["ubuntu-latest", "windows-latest"]
    assert deploy == {
        "id": "deploy",
        "name": "deploy",
        "needs": ["test"],
        "matrix": [],
        "runs_on": ["ubuntu-latest"],
        "dynamic_matrix": False,
    }
    assert release["fires"] is False and release["jobs"] == [] and release["reason"]


def test_tag_push_from_payload_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "payload.json").write_text(json.dumps({"ref": "refs/tags/v1.2"}))
    assert main(["plan", "--payload", "payload.json", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["fires"] for w in data["workflows"]] == [False, True]


def test_dispatch_with_inputs_and_single_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["plan", "-W", ".github/workflows/release.yml", "--event", "workflow_dispatch"]
    assert main([*args, "--input", "target=staging", "--format", "json"]) == 0
    job = json.loads(capsys.readouterr().out)["workflows"][0]["jobs"][0]
    assert job["name"] == "publish to staging"
    assert job["runs_on"] == ["self-hosted", "staging"]
    assert main([*args, "--format", "json"]) == 0
    job = json.loads(capsys.readouterr().out)["workflows"][0]["jobs"][0]
    assert job["runs_on"] == ["self-hosted", "prod"]


def test_pull_request_event(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--event", "pull_request", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["fires"] for w in data["workflows"]] == [True, False]


def test_invalid_workflow_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = repo / ".github" / "workflows" / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    needs: [zz]\n    steps: [{run: a}]\n"
    )
    assert main(["plan"]) == 2
    err = capsys.readouterr().err
    assert "bad.yml:5:" in err and "zz" in err


def test_planner_error_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = repo / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n"
        "    strategy: {matrix: {os: [a], exclude: [{q: 1}]}}\n    steps: [{run: a}]\n"
    )
    assert main(["plan", "-W", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yml:5:" in err and "does not match any key" in err and "[matrix]" in err


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "cannot read payload file"), ("{nope", "invalid JSON"), ("[1]", "JSON object")],
)
def test_bad_payload_file(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str | None, fragment: str
) -> None:
    if content is not None:
        (repo / "p.json").write_text(content)
    assert main(["plan", "--payload", "p.json"]) == 2
    err = capsys.readouterr().err
    assert "p.json" in err and fragment in err


def test_bad_input_and_missing_folder(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--input", "novalue"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert main(["plan", "-W", "nowhere"]) == 2
    assert "nowhere" in capsys.readouterr().err
