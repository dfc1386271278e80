"""Bad input files name file:line and exit 2: workflows in other encodings, dotenv lines
that don't parse."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from e2e_helpers import make_repo

from conveyor.cli.main import main

WF = """\
name: enc
on: push
jobs:
  hello:
    runs-on: ubuntu-latest
    steps:
      - run: echo "héllo from the workflow"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    for name in ("CONVEYOR_HOME", "CONVEYOR_DATABASE_URL", "CONVEYOR_ACTIONS_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_workflow_with_a_bom_validates_and_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bom: bytes,
    codec: str,
) -> None:
    repo = make_repo(tmp_path / "r", {"README": "x"})
    path = repo / ".github" / "workflows" / "enc.yml"
    path.parent.mkdir(parents=True)
    path.write_bytes(bom + WF.encode(codec))
    monkeypatch.chdir(repo)
    assert main(["validate"]) == 0, capsys.readouterr()
    assert main(["run"]) == 0
    assert "héllo from the workflow" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (WF.encode("latin-1"), "not valid UTF-8"),
        (WF.encode("utf-16-le"), "NUL bytes"),  # UTF-16 without its BOM
        (codecs.BOM_UTF16_LE + b"o\x00n\x00:\x00 \x00\x00\xd8", "not valid UTF-16-LE"),
    ],
)
def test_undecodable_workflow_is_file_1_1_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data: bytes,
    says: str,
) -> None:
    repo = make_repo(tmp_path / "r", {"README": "x"})
    path = repo / ".github" / "workflows" / "bad.yml"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    monkeypatch.chdir(repo)
    for command in (["validate"], ["run"], ["validate", str(path)]):
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert f"{path.relative_to(repo) if command == ['validate'] else path}:1:1:" in err or (
            f"{path}:1:1:" in err
        ), err
        assert says in err and "save it as UTF-8" in err
        assert "internal error" not in err


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('GOOD=1\nTOKEN="unterminated\nLATER=2\n', 2),
        ("GOOD=1\n\nnot a valid line at all\n", 3),
        ("GOOD=1\nJUST_A_NAME\n", 2),
        ("GOOD=1\r\nOTHER=2\r\nnot a valid line\r\n", 3),
        (b"GOOD=1\nOTHER=2\nLATIN=caf\xe9\n", 3),  # not UTF-8: the line of the bad byte
    ],
)
def test_secret_file_line_that_does_not_parse_stops_with_file_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str | bytes,
    line: int,
) -> None:
    repo = make_repo(tmp_path / "r", {"w.yml": WF})
    secrets = tmp_path / "secrets.env"
    secrets.write_bytes(text if isinstance(text, bytes) else text.encode())
    monkeypatch.chdir(repo)
    assert main(["run", "--secret-file", str(secrets)]) == 2
    captured = capsys.readouterr()
    assert f"{secrets}:{line}:" in captured.err
    assert "héllo" not in captured.out  # nothing ran
    assert "unterminated" not in captured.err  # the bad line itself may hold a secret


def test_payload_file_that_is_not_utf8_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the --payload property: a Latin-1 payload file was exit 3."""
    repo = make_repo(tmp_path / "r", {"w.yml": WF})
    payload = tmp_path / "event.json"
    payload.write_bytes('{"ref": "refs/heads/é"}'.encode("latin-1"))
    monkeypatch.chdir(repo)
    for command in (["plan"], ["run"]):
        assert main([*command, "--payload", str(payload)]) == 2, command
        err = capsys.readouterr().err
        assert str(payload) in err and "internal error" not in err
    payload.write_bytes('{"ref": "refs/heads/main"}'.encode("utf-16"))
    assert main(["plan", "--payload", str(payload)]) == 0
