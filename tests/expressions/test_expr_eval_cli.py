"""`conveyor eval` through conveyor.cli.main.main (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conveyor.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    path = tmp_path / "ctx.json"
    data = {
        "github": {"ref": "refs/heads/main", "event_name": "push"},
        "matrix": {"os": "linux", "versions": [3.11, 3.12]},
        "custom": {"n": 3},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("expr", "out"),
    [
        ("1 == 2", "false"),
        ("3", "3"),
        ("0xff", "255"),
        ("1.5", "1.5"),
        ("${{ 'a' }}", '"a"'),
        ("  ${{ 1 == 1 }} ", "true"),
        ("v-${{ 1 }}", '"v-1"'),
        ("null", "null"),
        ("fromJSON('{\"a\": [1, 2.0]}')", '{"a": [1, 2]}'),
        ("format('{0}-{1}', 'x', 2)", '"x-2"'),
        ("github.ref", "null"),  # standard context, not given: null
    ],
)
def test_eval_prints_json(capsys: pytest.CaptureFixture[str], expr: str, out: str) -> None:
    code, stdout, stderr = _run(capsys, expr)
    assert (code, stdout.strip(), stderr) == (0, out, "")


def test_context_file(capsys: pytest.CaptureFixture[str], ctx_file: Path) -> None:
    code, out, _ = _run(capsys, "matrix.versions", "--context", str(ctx_file))
    assert (code, json.loads(out)) == (0, [3.11, 3.12])
    code, out, _ = _run(capsys, "custom.n", "-c", str(ctx_file))
    assert (code, out.strip()) == (0, "3")
    code, out, _ = _run(capsys, "run-${{ matrix.os }}-${{ custom.n }}", "-c", str(ctx_file))
    assert (code, out.strip()) == (0, '"run-linux-3"')


@pytest.mark.parametrize(
    ("expr", "out"),
    [
        ("github.ref == 'refs/heads/main'", "true"),
        ("${{ github.event_name == 'pull_request' }}", "false"),
        ("", "true"),
        ("failure()", "false"),
        ("!cancelled()", "true"),
    ],
)
def test_if(capsys: pytest.CaptureFixture[str], ctx_file: Path, expr: str, out: str) -> None:
    code, stdout, _ = _run(capsys, expr, "--if", "--context", str(ctx_file))
    assert (code, stdout.strip()) == (0, out)


def test_syntax_error_exit_2_with_column(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "1 < )")
    assert code == 2
    assert out == ""
    assert "expression:1:5: Unexpected symbol: ')'" in err
    assert "hint:" in err


def test_syntax_error_column_inside_template(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "ab ${{ 1 2 }}")
    assert code == 2
    assert "expression:1:10: Unexpected symbol: '2'" in err


def test_unknown_context_is_clear(capsys: pytest.CaptureFixture[str], ctx_file: Path) -> None:
    code, _, err = _run(capsys, "nosuch.x", "-c", str(ctx_file))
    assert code == 2
    assert "Unrecognized named-value: 'nosuch'" in err
    assert "custom" in err  # the hint lists the contexts known here


def test_unterminated(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "x ${{ 1")
    assert code == 2
    assert "expression:1:3: Unterminated" in err


def test_eval_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "format('{0')")
    assert code == 2
    assert "The following format string is invalid: {0" in err


def test_bad_context_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "github": {,\n}', encoding="utf-8")
    code, _, err = _run(capsys, "1", "--context", str(bad))
    assert code == 2
    assert f"{bad}:2:" in err
    assert "invalid JSON" in err


def test_context_must_be_object(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "list.json"
    bad.write_text("[1]", encoding="utf-8")
    code, _, err = _run(capsys, "1", "--context", str(bad))
    assert code == 2
    assert str(bad) in err


def test_missing_context_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    code, _, err = _run(capsys, "1", "--context", str(missing))
    assert code == 2
    assert str(missing) in err
    assert "not found" in err
