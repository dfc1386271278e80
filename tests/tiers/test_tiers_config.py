"""conveyor.toml: defaults, [tool.conveyor], and errors naming file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.errors import ConfigError
from conveyor.results.targets import Targets
from conveyor.tiers.configfile import find_line, load_config


def _write(tmp_path: Path, text: str, name: str = "conveyor.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_five_seed_tiers(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    loaded = load_config(start=tmp_path)
    assert loaded.path is None
    assert [n for n, _ in loaded.config.ordered()] == [
        "unit",
        "mocked",
        "integration",
        "smoke",
        "e2e",
    ]
    assert loaded.config.tiers["integration"].timeout == 900
    assert loaded.config.notify.policy == "failure"


def test_tables_override_and_add_tiers(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[tiers.integration]
timeout = "20m"

[tiers.contract]
paths = ["tests/contract"]
order = 5
description = "consumer contracts"

[test]
retries = 2
""",
    )
    config = load_config(path).config
    assert config.tiers["integration"].timeout == 1200
    assert config.tiers["integration"].marker == "integration"
    assert config.ordered()[-1][0] == "contract"
    assert config.test.retries == 2
    assert [n for n, _ in config.ordered(["e2e", "unit"])] == ["unit", "e2e"]
    with pytest.raises(KeyError):
        config.ordered(["nope"])


def test_tool_conveyor_in_pyproject_is_found(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.conveyor.tiers.unit]\ntimeout = 30\n',
        "pyproject.toml",
    )
    sub = tmp_path / "pkg"
    sub.mkdir()
    loaded = load_config(start=sub)
    assert loaded.path == tmp_path / "pyproject.toml"
    assert loaded.config.tiers["unit"].timeout == 30


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[tiers.unit]\nmarker = "unit"\ntimeot = "5m"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}:3: tiers.unit.timeot: unknown key 'timeot'" in str(caught.value)
    assert caught.value.exit_code == 2


def test_bad_value_in_pyproject_names_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.conveyor.tiers.smoke]\norder = 3\ntimeout = "soon"\n',
        "pyproject.toml",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"{path}:6: tool.conveyor.tiers.smoke.timeout: invalid duration 'soon'" in message


def test_toml_syntax_error_keeps_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, '[notify]\npolicy = "failure"\nslack = {url = }\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:3:")
    assert "invalid TOML" in str(caught.value)


def test_bad_alert_rule_and_policy_are_reported_with_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[notify]\npolicy = "sometimes"\nalerts = [\n  "any smoke failure",\n'
        '  "integration failures >=",\n]\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = str(caught.value).splitlines()
    assert any(line.startswith(f"{path}:2: notify.policy:") for line in lines)
    assert any(
        line.startswith(f"{path}:3: notify.alerts") and "expected '[TIER] METRIC OP VALUE'" in line
        for line in lines
    )


def test_tier_needs_marker_or_paths(tmp_path: Path) -> None:
    path = _write(tmp_path, "[tiers.empty]\norder = 9\n")
    with pytest.raises(ConfigError, match=r":1: tiers.empty: a tier needs a 'marker' or 'paths'"):
        load_config(path)


def test_targets_feed_the_results_targets(tmp_path: Path) -> None:
    path = _write(tmp_path, '[targets]\nnightly = "90m"\nsuccess_rate = "98%"\nflakiness = "1%"\n')
    targets = load_config(path).config.targets.to_targets()
    assert isinstance(targets, Targets)
    assert targets.success_rate == pytest.approx(0.98)
    assert targets.flakiness == pytest.approx(0.01)
    nightly = targets.duration_for("Nightly build")
    assert nightly is not None and nightly.max_seconds == 5400
    pr = targets.duration_for("pr-validation")
    assert pr is not None and pr.max_seconds == 300


def test_find_line_handles_dotted_and_quoted_keys() -> None:
    text = '[a]\nx = 1\n[a."b c"]\ny.z = 2\n'
    assert find_line(text, ["a", "x"]) == 2
    assert find_line(text, ["a", "b c", "y", "z"]) == 4
    assert find_line(text, ["a", "b c", "q"]) == 3
    assert find_line(text, ["nope"]) is None


@pytest.mark.parametrize(
    ("data", "where", "byte"),
    [
        ('[tiers.unit]\ndescription = "café"\n'.encode("latin-1"), "2:19", 31),
        ('[tiers.unit]\ndescription = "x"\n'.encode("utf-16"), "1:1", 0),  # BOM + UTF-16
    ],
)
def test_config_that_is_not_utf8_names_file_line_and_column(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data: bytes,
    where: str,
    byte: int,
) -> None:
    """TOML is UTF-8: another encoding was a UnicodeDecodeError (exit 3, a traceback)."""
    from conveyor.cli.main import main

    (tmp_path / ".git").mkdir()
    path = tmp_path / "conveyor.toml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:{where}: not UTF-8 text (byte {byte}:")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONVEYOR_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    assert main(["test"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{where}: not UTF-8 text" in err and "Traceback" not in err


def test_pyproject_that_is_not_utf8_is_not_taken_for_a_config(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_bytes('[tool.x]\na = "café"\n'.encode("latin-1"))
    loaded = load_config(start=tmp_path)
    assert loaded.path is None and "unit" in loaded.config.tiers


def test_ingest_section(tmp_path: Path) -> None:
    text = (
        '[ingest]\nglobs = ["build/**/*.out"]\n\n[ingest.tiers]\n"integration-*" = "integration"\n'
    )
    config = load_config(_write(tmp_path, text)).config
    assert config.ingest.enabled
    assert config.ingest.patterns()[-1] == "build/**/*.out"
    assert len(config.ingest.patterns()) > 1  # the default report names come first
    assert config.ingest.tiers == {"integration-*": "integration"}
    assert load_config(_write(tmp_path, "")).config.ingest.enabled


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[ingest]\nenabled = true\nglob = []\n", ":3: ingest.glob: unknown key 'glob'"),
        ('[ingest]\nenabled = "sometimes"\n', ":2: ingest.enabled: Input should be a valid"),
        ('[ingest.tiers]\n"e2e-*" = ""\n', ":1: ingest.tiers: a job pattern and its tier"),
    ],
)
def test_ingest_section_errors_name_their_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}{message}" in str(caught.value)
