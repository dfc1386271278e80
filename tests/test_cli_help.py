"""Every command's --help renders, and literal brackets in help texts survive (rich markup
once ate ``[targets]`` from ``conveyor stats --help``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer

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
