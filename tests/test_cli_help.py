"""Every command's --help renders, and literal brackets in help texts survive (rich markup
once ate ``[targets]`` from ``conveyor stats --help``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from conveyor.cli.main import _register, app, main

_BRACKETED = re.compile(r"\[[^\[\]\s]+\]")


def _commands() -> Iterator[tuple[list[str], Any]]:
    _register()
    root = typer.main.get_command(app)

    def walk(path: list[str], command: Any) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
            yield from walk([*path, name], sub)

    yield from walk([], root)


def _texts(command: Any) -> list[str]:
    texts = [command.help or "", command.short_help or ""]
    for param in command.params:
        texts.append(getattr(param, "help", None) or "")
        texts.append(param.metavar or "")
    return texts


COMMANDS = list(_commands())


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"stats", "logs", "quarantine add", "schedule list", "trigger push", "test"} <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "root")
def test_help_renders_and_keeps_literal_brackets(
    path: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    command = {tuple(p): c for p, c in COMMANDS}[tuple(path)]
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out
    flat = " ".join(out.split())
    for text in _texts(command):
        for token in _BRACKETED.findall(text):
            assert token in flat, f"{' '.join(path)} --help lost {token!r}"


def test_stats_help_names_the_targets_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--help"]) == 0
    assert "conveyor.toml's ``[targets]``" in " ".join(capsys.readouterr().out.split())


def test_registry_holds_every_command_with_its_own_help() -> None:
    """``conveyor --help`` lists commands from the registry without importing them: each
    entry's text must be the command's own first paragraph, and none may be missing."""
    from conveyor.cli.registry import COMMANDS

    root = {" ".join(path): command for path, command in COMMANDS_BY_PATH.items() if len(path) == 1}
    assert [spec.name for spec in COMMANDS if spec.name in root] == [spec.name for spec in COMMANDS]
    assert set(root) == {spec.name for spec in COMMANDS}
    for spec in COMMANDS:
        command = root[spec.name]
        own = " ".join((command.help or "").split("\n\n")[0].split())
        assert spec.help == own, spec.name
        assert spec.hidden == command.hidden, spec.name


COMMANDS_BY_PATH = {tuple(path): command for path, command in COMMANDS}


def _modules_after(args: list[str], cwd: Path) -> set[str]:
    code = (
        "import sys\n"
        "from conveyor.cli.main import main\n"
        f"code = main({args!r})\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    env["CI"] = "true"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


HEAVY = {"sqlalchemy", "alembic", "httpx", "jinja2", "rich.live", "croniter"}


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    modules = _modules_after(["--help"], tmp_path)
    assert not {m for m in modules if m.startswith("conveyor.cli.") and m.endswith("_cmd")}
    assert not modules & (HEAVY | {"pydantic", "rich", "yaml", "msgspec"})


def test_commands_import_only_what_they_use(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "w.yml").write_text(
        "on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n"
    )
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    validated = _modules_after(["validate"], tmp_path)
    assert "conveyor.cli.validate_cmd" in validated
    assert not validated & (HEAVY | {"conveyor.cli.run_cmd", "conveyor.store.recorder"})
    first = _modules_after(["run", "--state-dir", str(tmp_path / "state")], tmp_path)
    assert "alembic" in first  # a new database is migrated; a current one is not
    ran = _modules_after(["run", "--state-dir", str(tmp_path / "state")], tmp_path)
    assert {"sqlite3", "conveyor.store.recorder"} <= ran  # recorded, through the driver
    assert not ran & {"sqlalchemy", "alembic", "httpx", "jinja2", "rich.live", "croniter"}
