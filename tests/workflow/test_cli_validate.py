"""`conveyor validate` through the CLI entry point: text, JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conveyor.cli.main import main

GOOD = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./missing\n"
BAD = "on: push\njobs:\n  a:\n    runs-on: x\n    step: []\n    steps: [{run: x, uses: a/b@v1}]\n"


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_clean_file_exits_0_with_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", _write(tmp_path, "ok.yml", GOOD)])
    out, err = capsys.readouterr()
    assert code == 0
    assert "warning: local action './missing' not found" in out
    assert "[local-action]" in out
    assert "1 file checked: 0 error(s), 1 warning(s)" in err


def test_errors_exit_2_sorted_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "bad.yml", BAD)
    code = main(["validate", path])
    out, err = capsys.readouterr()
    assert code == 2
    lines = out.splitlines()
    assert lines == [
        f"{path}:5:5: unknown key 'step' in job 'a'; did you mean 'steps'? [unknown-key]",
        f"{path}:6:22: step 1 of job 'a' has both 'run' and 'uses'; a step either runs a script "
        "or uses an action, split it into two steps [run-and-uses]",
    ]
    assert "2 error(s)" in err


def test_json_output_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, "bad.yml", BAD)
    _write(tmp_path, "ok.yaml", GOOD)
    code = main(["validate", str(tmp_path), "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 2
    data = json.loads(out)
    assert [(d["rule"], d["severity"]) for d in data] == [
        ("unknown-key", "error"),
        ("run-and-uses", "error"),
        ("local-action", "warning"),
    ]
    assert set(data[0]) == {"path", "line", "col", "message", "rule", "severity"}


def test_default_path_is_github_workflows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "ci.yml").write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: x}]\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    assert "1 file checked: 0 error(s)" in capsys.readouterr().err


def test_missing_path_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yml")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
