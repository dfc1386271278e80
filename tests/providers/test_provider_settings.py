"""Provider settings in conveyor.toml: checked when the file is loaded, each problem
named with the file, the line and the key (exit 2), before anything is deployed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.errors import EXIT_BAD_INPUT, ConfigError
from conveyor.providers.settings import LambdaSettings, ProcessSettings
from conveyor.tiers.configfile import load_config


def load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "conveyor.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as failed:
        load_config(path)
    assert failed.value.exit_code == EXIT_BAD_INPUT
    return str(failed.value)


def test_a_process_app_without_a_command_names_its_table(tmp_path: Path) -> None:
    message = load(tmp_path, '[tiers.unit]\nmarker = "unit"\n\n[apps.web]\nprovider = "process"\n')
    assert (
        message
        == f"{tmp_path / 'conveyor.toml'}:4: apps.web.command: missing required key 'command'"
    )


def test_a_bad_port_names_its_line(tmp_path: Path) -> None:
    text = '[apps.web]\nprovider = "process"\ncommand = "python -m app"\nport = 99999\n'
    message = load(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'conveyor.toml'}:4: apps.web.port: 99999 is not a port")
    text = '[apps.web]\nprovider = "process"\ncommand = "x"\nport = { dev = "eighty" }\n'
    assert ":4: apps.web.port: 'eighty' is not a port" in load(tmp_path, text)


def test_every_problem_of_every_app_is_reported(tmp_path: Path) -> None:
    text = (
        '[apps.web]\nprovider = "process"\ncommand = "x"\nhealth = "healthz"\n'
        'start-timeout = "soon"\n\n'
        '[apps.api]\nprovider = "aws-lambda"\nfunction = "api-{env}"\nregion = "eu-west-1"\n'
        "colour = 3\n"
    )
    lines = load(tmp_path, text).splitlines()
    assert [line.split(": ", 2)[0].rsplit(":", 1)[1] for line in lines] == ["4", "5", "9", "11"]
    assert "apps.web.health: 'healthz' is not a path" in lines[0]
    assert "apps.web.start-timeout: 'soon' is not a duration" in lines[1]
    assert "apps.api.function: unknown placeholder {env}" in lines[2]
    assert "apps.api.colour: unknown key 'colour'" in lines[3]


def test_good_settings_load_and_read_as_the_provider_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "conveyor.toml"
    path.write_text(
        '[apps.web]\nprovider = "process"\ncommand = "python -m app --port ${PORT}"\n'
        'port = { dev = 8081, production = 8080 }\nstop-timeout = "2s"\n\n'
        '[apps.api]\nprovider = "aws-lambda"\nfunction = "api-{environment}"\n'
        'region = "eu-west-1"\n',
        encoding="utf-8",
    )
    apps = load_config(path).config.apps
    web = ProcessSettings.model_validate(apps["web"].options())
    assert web.launch().argv(4321) == ["python", "-m", "app", "--port", "4321"]
    assert (web.router_port("dev"), web.router_port("production"), web.router_port("qa")) == (
        8081,
        8080,
        None,
    )
    assert web.stop_timeout == 2.0
    api = LambdaSettings.model_validate(apps["api"].options())
    assert (api.function_name("staging"), api.alias) == ("api-staging", "live")
